"""SSH public keys stored in a project, for assemblies to launch with."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from vertice_core.errors import Conflict
from vertice_core.model.tenancy import SshKey
from vertice_core.service.resolve import project_id_for
from vertice_core.store.repositories import SshKeyRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vertice_core.service.caller import Caller
    from vertice_core.store.tables import SshKeyRow


def fingerprint(public_key: str) -> str:
    """The OpenSSH SHA256 fingerprint of a public key line."""
    blob = base64.b64decode(public_key.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def add_key(session: Session, caller: Caller, key: SshKey, project: str | None) -> SshKeyRow:
    """Store `key` in `project` (default: the caller's first); a name in use is a `Conflict`."""
    project_id = project_id_for(session, caller, project)
    keys = SshKeyRepository(session)
    if keys.get([project_id], key.name) is not None:
        raise Conflict(f"the project already has an SSH key named {key.name!r}")
    public_key = key.public_key.strip()
    return keys.create(project_id, key.name, public_key, fingerprint(public_key))
