"""Users, projects and SSH key pairs: who owns what.

Every assembly, SSH key and event belongs to a project; a user sees only the
projects they are a member of. Administrators see everything.
"""

from __future__ import annotations

import attrs

from vertice_core.model.types import Label, Name, Positive, PublicKeyText


@attrs.frozen
class User:
    """A person or a robot that calls the API with bearer tokens."""

    name: Name
    admin: bool = False


@attrs.frozen
class Project:
    """A space that owns assemblies, keys and events (an *organization* in vertice 1.5)."""

    name: Name
    description: str = ""


@attrs.frozen
class SshKey:
    """A stored SSH public key that assemblies of the project can launch with."""

    name: Name
    public_key: PublicKeyText


@attrs.frozen
class TokenRequest:
    """A request for a new API token (`POST /v3/tokens`)."""

    name: Label = Label("")
    #: Lifetime in seconds (at least 1: a token expired at birth is a mistake, refused);
    #: None means the token does not expire.
    expires_in: Positive | None = None
    #: Admins may issue a token for another user.
    user: Name | None = None


@attrs.frozen
class UserRequest:
    """A request to create a user (`POST /v3/users`)."""

    name: Name
    admin: bool = False


@attrs.frozen
class MemberChange:
    """Add or remove a user from a project (`POST /v3/projects/{name}/members`)."""

    user: Name
