"""Secrets at rest: Fernet sealing of credentials, and hashing of API tokens.

Cloud credentials and root passwords are sealed with one Fernet key, taken
from `VERTICE_SECRET_KEY` or from a key file created on first use (mode 0600).
API tokens are random and long, so a plain SHA-256 digest is enough to store
them: the token itself is shown once and never kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from vertice_core.config import Config
from vertice_core.errors import ConfigurationError

TOKEN_PREFIX = "vt_"  # noqa: S105 -- a name, not a secret


class SecretBox:
    """Seals and opens secrets with the installation's Fernet key."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from None

    def seal(self, plaintext: str) -> str:
        """An opaque token of `plaintext`."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext of a token made by `seal`."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "a stored secret cannot be decrypted: the secret key changed"
            ) from None

    def seal_json(self, value: dict[str, Any]) -> str:
        """Seal a JSON object (an empty object seals to the empty string)."""
        return self.seal(json.dumps(value, sort_keys=True)) if value else ""

    def open_json(self, sealed: str) -> dict[str, Any]:
        """Open what `seal_json` made."""
        if not sealed:
            return {}
        value = json.loads(self.open(sealed))
        if not isinstance(value, dict):
            raise ConfigurationError("a stored secret is not a JSON object")
        return value


def load_key(config: Config) -> str:
    """The Fernet key of the installation, creating the key file on first use."""
    if config.secret_key:
        return config.secret_key
    path: Path = config.key_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # O_EXCL: two processes starting together must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def new_token() -> str:
    """A new random API token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a, b)
