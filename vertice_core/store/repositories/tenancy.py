"""Users, projects, memberships, tokens, SSH keys and installation settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vertice_core.errors import Conflict
from vertice_core.ids import new_id
from vertice_core.store.tables import (
    AssemblyRow,
    InvitationRow,
    MembershipRow,
    ProjectRow,
    SettingRow,
    SshKeyRow,
    TokenRow,
    UserRow,
    utcnow,
)


class SettingRepository:
    """Installation-wide key/value settings."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> str | None:
        """The value of `key`, or None."""
        row = self.session.get(SettingRow, key)
        return row.value if row else None

    def put(self, key: str, value: str) -> None:
        """Set `key` to `value`."""
        self.session.merge(SettingRow(key=key, value=value))


class UserRepository:
    """Users and the lookup of a user by token digest."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, name: str, *, admin: bool = False) -> UserRow:
        """A new user (the caller checks the name is free)."""
        row = UserRow(id=new_id("usr"), name=name, admin=admin, created_at=utcnow())
        self.session.add(row)
        self.session.flush()
        return row

    def by_name(self, name: str) -> UserRow | None:
        """The user called `name`, or None."""
        return self.session.scalar(select(UserRow).where(UserRow.name == name))

    def all(self) -> Sequence[UserRow]:
        """Every user, by name."""
        return self.session.scalars(select(UserRow).order_by(UserRow.name)).all()

    def admins(self) -> int:
        """How many administrators exist."""
        return (
            self.session.scalar(
                select(func.count()).select_from(UserRow).where(UserRow.admin.is_(True))
            )
            or 0
        )

    def name_of(self, user_id: str | None) -> str | None:
        """The name of the user with id `user_id`, or None (no such user, or no id)."""
        if user_id is None:
            return None
        return self.session.scalar(select(UserRow.name).where(UserRow.id == user_id))

    def by_token(self, digest: str, now: datetime) -> UserRow | None:
        """The user owning the unexpired token whose digest is `digest`."""
        return self.session.scalar(
            select(UserRow)
            .join(TokenRow, TokenRow.user_id == UserRow.id)
            .where(TokenRow.digest == digest)
            .where((TokenRow.expires_at.is_(None)) | (TokenRow.expires_at > now))
        )

    def delete(self, row: UserRow) -> None:
        """Remove a user, their tokens and memberships."""
        self.session.execute(delete(TokenRow).where(TokenRow.user_id == row.id))
        self.session.execute(delete(MembershipRow).where(MembershipRow.user_id == row.id))
        self.session.delete(row)


class ProjectRepository:
    """Projects and their members."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, name: str, owner_id: str, description: str = "") -> ProjectRow:
        """A new project owned by `owner_id`; `Conflict` if they have one called `name` (the
        unique index says so, so two requests at once cannot both make it)."""
        row = ProjectRow(id=new_id("prj"), name=name, owner_id=owner_id,
                         description=description, created_at=utcnow())  # fmt: skip
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            raise Conflict(f"you already have a project named {name!r}") from None
        return row

    def matching(self, ref: str, scope: Sequence[str] | None) -> Sequence[ProjectRow]:
        """The projects whose name or id is `ref`, among the ids `scope` (None: every
        project), oldest first. `vertice_core.service.resolve.project_matches` picks."""
        query = select(ProjectRow).where(or_(ProjectRow.name == ref, ProjectRow.id == ref))
        if scope is not None:
            query = query.where(ProjectRow.id.in_(scope))
        return self.session.scalars(query.order_by(ProjectRow.created_at, ProjectRow.id)).all()

    def by_ids(self, ids: Sequence[str]) -> Sequence[ProjectRow]:
        """The projects with these ids, by name."""
        return self.session.scalars(
            select(ProjectRow).where(ProjectRow.id.in_(ids)).order_by(ProjectRow.name)
        ).all()

    def all(self) -> Sequence[ProjectRow]:
        """Every project, by name."""
        return self.session.scalars(select(ProjectRow).order_by(ProjectRow.name)).all()

    def ids_of_member(self, user_id: str) -> list[str]:
        """The ids of the projects `user_id` belongs to, oldest membership first."""
        return list(
            self.session.scalars(
                select(MembershipRow.project_id)
                .where(MembershipRow.user_id == user_id)
                .order_by(MembershipRow.created_at, MembershipRow.project_id)
            )
        )

    def member_names(self, project_id: str) -> list[str]:
        """The names of the project's members."""
        return list(
            self.session.scalars(
                select(UserRow.name)
                .join(MembershipRow, MembershipRow.user_id == UserRow.id)
                .where(MembershipRow.project_id == project_id)
                .order_by(UserRow.name)
            )
        )

    def add_member(self, project_id: str, user_id: str) -> None:
        """Make `user_id` a member (idempotent)."""
        if self.session.get(MembershipRow, (user_id, project_id)) is None:
            self.session.add(
                MembershipRow(user_id=user_id, project_id=project_id, created_at=utcnow())
            )
            self.session.flush()

    def remove_member(self, project_id: str, user_id: str) -> bool:
        """Remove `user_id` from the project; False if they were not a member."""
        result = self.session.execute(
            delete(MembershipRow)
            .where(MembershipRow.project_id == project_id)
            .where(MembershipRow.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def has_assemblies(self, project_id: str) -> bool:
        """True while any assembly (even one being deleted) belongs to the project."""
        return (
            self.session.scalar(
                select(AssemblyRow.id).where(AssemblyRow.project_id == project_id).limit(1)
            )
            is not None
        )

    def delete(self, row: ProjectRow) -> None:
        """Remove a project with its keys, memberships and invitations (not its assemblies:
        check first)."""
        self.session.execute(delete(SshKeyRow).where(SshKeyRow.project_id == row.id))
        self.session.execute(delete(MembershipRow).where(MembershipRow.project_id == row.id))
        self.session.execute(delete(InvitationRow).where(InvitationRow.project_id == row.id))
        self.session.delete(row)


class TokenRepository:
    """API tokens; only their digests are stored."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, user_id: str, digest: str, *, name: str = "", expires_at: datetime | None = None
    ) -> TokenRow:
        """Store a new token's digest."""
        row = TokenRow(
            id=new_id("tok"),
            user_id=user_id,
            digest=digest,
            name=name,
            expires_at=expires_at,
            created_at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def of_user(self, user_id: str) -> Sequence[TokenRow]:
        """The user's tokens, oldest first."""
        return self.session.scalars(
            select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.created_at)
        ).all()

    def get(self, token_id: str) -> TokenRow | None:
        """The token with this id, or None."""
        return self.session.get(TokenRow, token_id)

    def delete(self, row: TokenRow) -> None:
        """Revoke a token."""
        self.session.delete(row)


class SshKeyRepository:
    """SSH public keys stored in projects."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, project_id: str, name: str, public_key: str, fingerprint: str) -> SshKeyRow:
        """Store a key (the caller checks the name is free in the project)."""
        row = SshKeyRow(
            id=new_id("key"),
            project_id=project_id,
            name=name,
            public_key=public_key,
            fingerprint=fingerprint,
            created_at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, project_ids: Sequence[str] | None, name: str) -> SshKeyRow | None:
        """The key called `name` in one of `project_ids` (None: any project)."""
        query = select(SshKeyRow).where(SshKeyRow.name == name)
        if project_ids is not None:
            query = query.where(SshKeyRow.project_id.in_(project_ids))
        return self.session.scalars(query.order_by(SshKeyRow.created_at).limit(1)).first()

    def in_projects(self, project_ids: Sequence[str] | None) -> Sequence[SshKeyRow]:
        """Keys of these projects (None: all), by name."""
        query = select(SshKeyRow).order_by(SshKeyRow.name, SshKeyRow.id)
        if project_ids is not None:
            query = query.where(SshKeyRow.project_id.in_(project_ids))
        return self.session.scalars(query).all()

    def delete(self, row: SshKeyRow) -> None:
        """Remove a key (assemblies launched with it keep their copy)."""
        self.session.delete(row)
