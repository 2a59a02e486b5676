"""Invitations to join a project, addressed to a user name (see `InvitationRow`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vertice_core.ids import new_id
from vertice_core.store.tables import InvitationRow, ProjectRow, utcnow


class InvitationRepository:
    """Reads and writes of the invitations table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def invite(self, project_id: str, user_name: str, invited_by: str) -> InvitationRow:
        """The invitation of `user_name` to the project, made if there is none yet."""
        found = self.session.scalars(
            select(InvitationRow)
            .where(InvitationRow.project_id == project_id)
            .where(InvitationRow.user_name == user_name)
        ).first()
        if found is not None:
            return found
        row = InvitationRow(id=new_id("inv"), project_id=project_id, user_name=user_name,
                            invited_by=invited_by, created_at=utcnow())  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, invitation_id: str) -> InvitationRow | None:
        return self.session.get(InvitationRow, invitation_id)

    def names_of_project(self, project_id: str) -> list[str]:
        """The user names the project's pending invitations are addressed to."""
        return list(
            self.session.scalars(
                select(InvitationRow.user_name)
                .where(InvitationRow.project_id == project_id)
                .order_by(InvitationRow.user_name)
            )
        )

    def for_user(self, user_name: str) -> Sequence[tuple[InvitationRow, str]]:
        """The pending invitations of `user_name`, each with its project's name, oldest first."""
        rows = self.session.execute(
            select(InvitationRow, ProjectRow.name)
            .join(ProjectRow, ProjectRow.id == InvitationRow.project_id)
            .where(InvitationRow.user_name == user_name)
            .order_by(InvitationRow.created_at, InvitationRow.id)
        )
        return [(row, str(name)) for row, name in rows.tuples()]

    def delete(self, row: InvitationRow) -> None:
        self.session.delete(row)

    def delete_of_project(self, project_id: str) -> None:
        """Remove every invitation to a project (it is deleted)."""
        self.session.execute(delete(InvitationRow).where(InvitationRow.project_id == project_id))

    def withdraw(self, project_id: str, user_name: str) -> bool:
        """Remove the invitation of `user_name` to the project; False if there was none."""
        result = self.session.execute(
            delete(InvitationRow)
            .where(InvitationRow.project_id == project_id)
            .where(InvitationRow.user_name == user_name)
        )
        return bool(getattr(result, "rowcount", 0))
