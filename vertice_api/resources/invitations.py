"""`/v3/invitations[/{id}[/accept]]`: the invitations addressed to the caller.

A project's member invites a user by name (`POST /v3/projects/{name}/members`); only
that user sees the invitation here, and joins the project by accepting it. The invited
user declines it with a DELETE; the project's members (and administrators) withdraw it
with a DELETE too (or through the project's members). Any other caller gets a 404, as
for an invitation that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from vertice_api import views
from vertice_api.auth import TokenCache, caller_of
from vertice_api.context import AppContext
from vertice_api.http import respond
from vertice_api.resources.tenancy import project_document
from vertice_core.errors import Conflict, NotFound
from vertice_core.service.caller import Caller
from vertice_core.store.repositories import InvitationRepository, ProjectRepository
from vertice_core.store.tables import InvitationRow, ProjectRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Invitations:
    """`/v3/invitations`: the caller's pending invitations, oldest first."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.ctx.store.read() as session:
            found = InvitationRepository(session).for_user(caller_of(req).name)
            items = [views.invitation(row, project) for row, project in found]
        respond(req, resp, views.listing("/v3/invitations", "invitations",
                                         "Invitations to join a project", items))  # fmt: skip


class _InvitationBase:
    def __init__(self, ctx: AppContext, cache: TokenCache) -> None:
        self.ctx = ctx
        self.cache = cache

    def _found(
        self, session: Session, caller: Caller, invitation_id: str, *, manage: bool
    ) -> tuple[InvitationRow, ProjectRow]:
        """The invitation and its project, when it is addressed to the caller (or, with
        `manage`, the caller may withdraw it: a member of the project, an administrator)."""
        row = InvitationRepository(session).get(invitation_id)
        project = session.get(ProjectRow, row.project_id) if row is not None else None
        if row is None or project is None:
            raise NotFound(f"there is no invitation {invitation_id!r}")
        addressed = row.user_name == caller.name
        if not addressed and not (manage and caller.sees(project.id)):
            raise NotFound(f"there is no invitation {invitation_id!r}")
        return row, project


class InvitationItem(_InvitationBase):
    """`/v3/invitations/{id}`: read it; decline it (the invited user) or withdraw it."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, invitation_id: str) -> None:
        with self.ctx.store.read() as session:
            row, project = self._found(session, caller_of(req), invitation_id, manage=True)
            respond(req, resp, views.invitation(row, project.name))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, invitation_id: str) -> None:
        with self.ctx.store.write() as session:
            row, _ = self._found(session, caller_of(req), invitation_id, manage=True)
            InvitationRepository(session).delete(row)
        resp.status = falcon.HTTP_204


class InvitationAccept(_InvitationBase):
    """`/v3/invitations/{id}/accept`: the invited user joins the project."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, invitation_id: str) -> None:
        caller = caller_of(req)
        with self.ctx.store.write() as session:
            row, project = self._found(session, caller, invitation_id, manage=False)
            if project.id in caller.project_ids:
                raise Conflict(f"you are already a member of project {project.name!r}")
            ProjectRepository(session).add_member(project.id, caller.user_id)
            InvitationRepository(session).delete(row)
            document = project_document(session, project)
        self.cache.clear()
        resp.media = document
