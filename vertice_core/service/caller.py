"""Who asks: the caller of a service function, and how a token's user becomes one.

A `Caller` is what the domain needs to know about whoever calls it (a user
of the API, the operator at the server's command line): who they are,
whether they administer the installation, and which projects they may see
and write to. It knows nothing of HTTP; the API builds one per token.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from vertice_core.errors import Forbidden, NotFound
from vertice_core.store.repositories import ProjectRepository, UserRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The name the installation's operator acts under at the server's command line.
OPERATOR = "operator"


@attrs.frozen
class Caller:
    """Who is calling: a user, whether they are an admin, and their projects."""

    user_id: str
    name: str
    admin: bool
    #: Ids of the user's projects, oldest membership first.
    project_ids: tuple[str, ...]
    #: The names of those projects, in the same order.
    project_names: tuple[str, ...] = ()

    @classmethod
    def operator(cls) -> Caller:
        """The installation's operator (server-side commands): an administrator, no user."""
        return cls(user_id="", name=OPERATOR, admin=True, project_ids=())

    def project_name(self, project_id: str) -> str | None:
        """The name of one of the caller's projects (None if it is not theirs)."""
        for pid, name in zip(self.project_ids, self.project_names, strict=False):
            if pid == project_id:
                return name
        return None

    @property
    def scope(self) -> list[str] | None:
        """Project ids the caller may see, or None for "every project" (admins)."""
        return None if self.admin else list(self.project_ids)

    def sees(self, project_id: str) -> bool:
        """Whether the caller may see what project `project_id` owns."""
        return self.admin or project_id in self.project_ids

    def require_admin(self) -> None:
        """`Forbidden` unless the caller administers the installation."""
        if not self.admin:
            raise Forbidden("this is for administrators only")

    def default_project(self) -> str:
        """The project a declaration goes to when it names none."""
        if not self.project_ids:
            raise NotFound("you are not a member of any project")
        return self.project_ids[0]


def caller_for_token(session: Session, digest: str, now: datetime) -> Caller | None:
    """The caller a token (by its SHA-256 digest) stands for, if it is valid at `now`."""
    user = UserRepository(session).by_token(digest, now)
    if user is None:
        return None
    projects = ProjectRepository(session)
    ids = projects.ids_of_member(user.id)
    names = {p.id: p.name for p in projects.by_ids(ids)}
    return Caller(user.id, user.name, user.admin, tuple(ids), tuple(names.get(i, "") for i in ids))
