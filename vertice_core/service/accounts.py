"""Users and their tokens, as callers may ask for them (the API, `vertice users create`,
`vertice init`).

The mechanics (a user with a first project and token, a token's digest)
live in `vertice_core.accounts`; these functions add who may ask for what:
administrators create users and issue tokens for anyone, users for
themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from vertice_core import accounts
from vertice_core.errors import NotFound
from vertice_core.model.tenancy import TokenRequest, UserRequest
from vertice_core.store.repositories import UserRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import TokenRow, UserRow

#: The administrator `vertice init` creates on a new installation.
FIRST_ADMIN = "admin"


@attrs.frozen
class IssuedToken:
    """A token just issued: the plaintext (shown this once), its row and its owner."""

    token: str
    row: TokenRow
    owner: UserRow


def create_user(session: Session, caller: Caller, request: UserRequest) -> accounts.NewUser:
    """Create a user with a first project and token (administrators only)."""
    caller.require_admin()
    return accounts.create_user(session, request.name, admin=request.admin)


def first_admin(session: Session) -> accounts.NewUser | None:
    """On an installation without administrators, create the first one; else None."""
    if UserRepository(session).admins():
        return None
    return accounts.create_user(session, FIRST_ADMIN, admin=True)


def token_owner(session: Session, caller: Caller, name: str | None) -> UserRow:
    """Whose tokens a request is about: the caller's own, or (administrators) `name`'s."""
    users = UserRepository(session)
    if name is None or name == caller.name:
        row = users.by_name(caller.name)
    else:
        caller.require_admin()
        row = users.by_name(name)
    if row is None:
        raise NotFound(f"there is no user named {name or caller.name!r}")
    return row


def issue_token(session: Session, caller: Caller, request: TokenRequest) -> IssuedToken:
    """A new token for the caller, or (administrators) for the user the request names."""
    owner = token_owner(session, caller, request.user)
    token, row = accounts.issue_token(
        session, owner, name=request.name, expires_in=request.expires_in
    )
    return IssuedToken(token, row, owner)
