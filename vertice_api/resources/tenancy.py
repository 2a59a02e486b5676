"""Who owns what: `/v3/sshkeys`, `/v3/projects`, `/v3/users`, `/v3/tokens`.

A user sees their own projects' keys and projects; administrators see all.
A resource of a project the caller is not a member of answers 404, exactly
like a missing one. Users are managed by administrators; tokens by their
owner (administrators may issue and revoke anyone's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import falcon

from vertice_api import views
from vertice_api.auth import TokenCache, caller_of
from vertice_api.context import AppContext
from vertice_api.http import read_body, respond
from vertice_api.resources.named import created
from vertice_core.convert import structure
from vertice_core.errors import Conflict, InvalidInput, NotFound
from vertice_core.ids import has_id_form, heroku_name
from vertice_core.model.tenancy import MemberChange, SshKey, TokenRequest, UserRequest
from vertice_core.model.types import Name
from vertice_core.service import accounts
from vertice_core.service.caller import Caller
from vertice_core.service.keys import add_key
from vertice_core.service.resolve import one_project, visible_project
from vertice_core.store.repositories import (
    InvitationRepository,
    ProjectRepository,
    SshKeyRepository,
    TokenRepository,
    UserRepository,
)
from vertice_core.store.repositories.disks import DiskRepository
from vertice_core.store.repositories.snapshots import SnapshotRepository
from vertice_core.store.tables import ProjectRow, SshKeyRow, TokenRow, UserRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@attrs.frozen
class _KeyRequest:
    name: Name
    public_key: str
    project: Name | None = None


@attrs.frozen
class _ProjectRequest:
    name: Name | None = None
    description: str = ""


def _project_names(session: Session) -> dict[str, str]:
    return {p.id: p.name for p in ProjectRepository(session).all()}


def _scoped_project_ids(session: Session, caller: Caller, name: str | None) -> list[str] | None:
    """The project ids a listing covers: `?project=NAME` (or id) if visible, else the
    caller's scope."""
    if name is None:
        return caller.scope
    return [visible_project(session, caller, name)]


def _new_project_name(request: _ProjectRequest) -> str:
    """The name of a project to create: the requested one (never of a project id's form,
    since an id names its project wherever a name is taken), else a heroku-style one."""
    if request.name is None:
        return heroku_name()
    if has_id_form("prj", request.name):
        raise InvalidInput.at("$.name", f"{request.name!r} has the form of a project id")
    return request.name


class SshKeys:
    """`/v3/sshkeys`: the caller's stored SSH keys (`?project=` narrows)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            scope = _scoped_project_ids(session, caller, req.get_param("project"))
            names = _project_names(session)
            rows = SshKeyRepository(session).in_projects(scope)
            items = [views.ssh_key(r, names.get(r.project_id, "")) for r in rows]
        respond(req, resp, views.listing("/v3/sshkeys", "sshkeys", "Stored SSH keys", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        body = read_body(req)
        request = structure(self.ctx.converter, body, _KeyRequest)
        key = structure(
            self.ctx.converter, {"name": request.name, "public_key": request.public_key}, SshKey
        )
        with self.ctx.store.write() as session:
            row = add_key(session, caller, key, request.project)
            document = views.ssh_key(row, _project_names(session)[row.project_id])
        created(resp, document)


class SshKeyItem:
    """`/v3/sshkeys/{name}`: read or delete one of the caller's keys (`?project=` picks)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _find(self, session: Session, req: falcon.Request, name: str) -> tuple[SshKeyRow, str]:
        scope = _scoped_project_ids(session, caller_of(req), req.get_param("project"))
        row = SshKeyRepository(session).get(scope, name)
        if row is None:
            raise NotFound(f"there is no SSH key named {name!r}")
        return row, _project_names(session).get(row.project_id, "")

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.read() as session:
            row, project = self._find(session, req, name)
            respond(req, resp, views.ssh_key(row, project))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.write() as session:
            row, _ = self._find(session, req, name)
            SshKeyRepository(session).delete(row)
        resp.status = falcon.HTTP_204


class _ProjectsBase:
    def __init__(self, ctx: AppContext, cache: TokenCache) -> None:
        self.ctx = ctx
        self.cache = cache

    def _visible(self, session: Session, caller: Caller, name: str) -> ProjectRow:
        """The project the path names (by name or id) for the caller (`one_project`)."""
        return one_project(session, caller, name)


class Projects(_ProjectsBase):
    """`/v3/projects`: the caller's projects (admins: all); create one (you become its owner
    and a member). A name is unique among its owner's projects only: another user's project
    of the same name is no obstacle, and is never mentioned."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            projects = ProjectRepository(session)
            rows = projects.all() if caller.admin else projects.by_ids(caller.project_ids)
            items = [project_document(session, r) for r in rows]
        respond(req, resp, views.listing("/v3/projects", "projects", "Projects", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        request = structure(self.ctx.converter, read_body(req), _ProjectRequest)
        with self.ctx.store.write() as session:
            projects = ProjectRepository(session)
            row = projects.create(_new_project_name(request), caller.user_id,
                                  request.description)  # fmt: skip
            projects.add_member(row.id, caller.user_id)
            document = project_document(session, row)
        self.cache.clear()
        created(resp, document)


class ProjectItem(_ProjectsBase):
    """`/v3/projects/{name}`: read; delete once it holds no assembly."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.read() as session:
            row = self._visible(session, caller_of(req), name)
            respond(req, resp, project_document(session, row))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.write() as session:
            projects = ProjectRepository(session)
            row = self._visible(session, caller_of(req), name)
            if projects.has_assemblies(row.id):
                raise Conflict(f"project {name!r} still has assemblies; delete them first")
            # Its snapshots hold images in the clouds: forgotten with the project, they
            # would be left there, owned by nobody.
            # So do its disks.
            for kind, command, kept in (
                ("snapshot", "snapshot", [s.name for s in
                                          SnapshotRepository(session).in_projects([row.id])]),
                ("disk", "disks", [d.name for d in DiskRepository(session).listed([row.id])]),
            ):  # fmt: skip
                if kept:
                    listed = ", ".join(kept[:20]) + (", ..." if len(kept) > 20 else "")
                    raise Conflict(
                        f"project {name!r} still has {kind}s ({listed}); delete them "
                        f"first (vertice {command} delete) and wait until they are gone"
                    )
            projects.delete(row)
        self.cache.clear()
        resp.status = falcon.HTTP_204


class ProjectMembers(_ProjectsBase):
    """`/v3/projects/{name}/members`: invite a user (members and admins may).

    Membership needs the invited user's consent: this stores an invitation addressed to
    the name, which that user accepts (`/v3/invitations`), and answers 202 with the
    project, whose `invited` lists the pending invitations. A name nobody has is invited
    the same way, so the answer does not tell who has an account (issue 17).
    """

    def on_post(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        change = structure(self.ctx.converter, read_body(req), MemberChange)
        caller = caller_of(req)
        with self.ctx.store.write() as session:
            row = self._visible(session, caller, name)
            if change.user not in ProjectRepository(session).member_names(row.id):
                InvitationRepository(session).invite(row.id, change.user, caller.name)
            resp.media = project_document(session, row)
        resp.status = falcon.HTTP_202


class ProjectMember(_ProjectsBase):
    """`/v3/projects/{name}/members/{user}`: remove a member, or withdraw an invitation."""

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str, user: str) -> None:
        with self.ctx.store.write() as session:
            row = self._visible(session, caller_of(req), name)
            found = UserRepository(session).by_name(user)
            removed = found is not None and ProjectRepository(session).remove_member(
                row.id, found.id
            )
            withdrawn = InvitationRepository(session).withdraw(row.id, user)
            if not removed and not withdrawn:
                raise NotFound(f"{user!r} is neither a member of project {name!r} nor invited")
        self.cache.clear()
        resp.status = falcon.HTTP_204


def project_document(session: Session, row: ProjectRow) -> dict[str, object]:
    """A project with its owner's name, its members and the names its pending invitations
    are addressed to."""
    members = ProjectRepository(session).member_names(row.id)
    invited = InvitationRepository(session).names_of_project(row.id)
    return views.project(row, UserRepository(session).name_of(row.owner_id), members, invited)


def _user_document(session: Session, row: UserRow) -> dict[str, object]:
    projects = ProjectRepository(session)
    names = [p.name for p in projects.by_ids(projects.ids_of_member(row.id))]
    return views.user(row, names)


def user_documents(session: Session) -> list[dict[str, object]]:
    """Every user, as `GET /v3/users` lists them (and `vertice users list` prints them)."""
    return [_user_document(session, u) for u in UserRepository(session).all()]


class Users:
    """`/v3/users`: administrators list and create users (a new user gets a project and token)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller_of(req).require_admin()
        with self.ctx.store.read() as session:
            items = user_documents(session)
        respond(req, resp, views.listing("/v3/users", "users", "Users", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        request = structure(self.ctx.converter, read_body(req), UserRequest)
        with self.ctx.store.write() as session:
            new = accounts.create_user(session, caller, request)
            document = _user_document(session, new.user)
        document["token"] = new.token
        created(resp, document)


class UserItem:
    """`/v3/users/{name}`: a user reads themself, administrators anyone; admins delete."""

    def __init__(self, ctx: AppContext, cache: TokenCache) -> None:
        self.ctx = ctx
        self.cache = cache

    def _find(self, session: Session, caller: Caller, name: str) -> UserRow:
        row = UserRepository(session).by_name(name)
        if row is None or (not caller.admin and row.id != caller.user_id):
            raise NotFound(f"there is no user named {name!r}")
        return row

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        with self.ctx.store.read() as session:
            row = self._find(session, caller_of(req), name)
            respond(req, resp, _user_document(session, row))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        caller = caller_of(req)
        caller.require_admin()
        with self.ctx.store.write() as session:
            users = UserRepository(session)
            row = self._find(session, caller, name)
            if row.admin and users.admins() <= 1:
                raise Conflict("the last administrator cannot be deleted")
            users.delete(row)
        self.cache.clear()
        resp.status = falcon.HTTP_204


class Tokens:
    """`/v3/tokens`: the caller's tokens (admins: `?user=`); issue a new one (shown once)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        with self.ctx.store.read() as session:
            owner = accounts.token_owner(session, caller, req.get_param("user"))
            items = [views.token(t, owner.name) for t in TokenRepository(session).of_user(owner.id)]
        respond(req, resp, views.listing("/v3/tokens", "tokens", "API tokens", items))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        caller = caller_of(req)
        request = structure(self.ctx.converter, read_body(req), TokenRequest)
        with self.ctx.store.write() as session:
            issued = accounts.issue_token(session, caller, request)
            document = views.token(issued.row, issued.owner.name)
        document["token"] = issued.token
        created(resp, document)


class TokenItem:
    """`/v3/tokens/{id}`: read or revoke a token (its owner, or an admin)."""

    def __init__(self, ctx: AppContext, cache: TokenCache) -> None:
        self.ctx = ctx
        self.cache = cache

    def _find(self, session: Session, caller: Caller, token_id: str) -> tuple[TokenRow, str]:
        row = TokenRepository(session).get(token_id)
        if row is None or (not caller.admin and row.user_id != caller.user_id):
            raise NotFound(f"there is no token {token_id!r}")
        owner = session.get(UserRow, row.user_id)
        return row, owner.name if owner else ""

    def on_get(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        with self.ctx.store.read() as session:
            row, owner = self._find(session, caller_of(req), token_id)
            respond(req, resp, views.token(row, owner))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        with self.ctx.store.write() as session:
            row, _ = self._find(session, caller_of(req), token_id)
            TokenRepository(session).delete(row)
        self.cache.clear()
        resp.status = falcon.HTTP_204
