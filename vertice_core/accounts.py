"""Creating users with their first project and token: the mechanics, with no say on who may
(`vertice_core.service.accounts` adds that)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from sqlalchemy.orm import Session

from vertice_core.crypto import new_token, token_digest
from vertice_core.errors import Conflict
from vertice_core.ids import heroku_name
from vertice_core.store.repositories import ProjectRepository, TokenRepository, UserRepository
from vertice_core.store.tables import ProjectRow, TokenRow, UserRow


@attrs.frozen
class NewUser:
    """A user just created, with the token shown this once."""

    user: UserRow
    project: ProjectRow
    token: str


def create_user(session: Session, name: str, *, admin: bool = False) -> NewUser:
    """Create a user, their first project (owned by them, a heroku-style name: a name need
    only be unique among its owner's projects, and a new user has none) and a first token."""
    users = UserRepository(session)
    if users.by_name(name) is not None:
        raise Conflict(f"a user named {name!r} already exists")
    user = users.create(name, admin=admin)
    projects = ProjectRepository(session)
    project = projects.create(heroku_name(), user.id, description=f"{name}'s first project")
    projects.add_member(project.id, user.id)
    token, _ = issue_token(session, user, name="first token")
    return NewUser(user=user, project=project, token=token)


def issue_token(
    session: Session, user: UserRow, *, name: str = "", expires_in: int | None = None
) -> tuple[str, TokenRow]:
    """A new token for `user`: the plaintext (show it once) and its stored row."""
    token = new_token()
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=expires_in) if expires_in is not None else None
    )
    row = TokenRepository(session).create(
        user.id, token_digest(token), name=name, expires_at=expires_at
    )
    return token, row
