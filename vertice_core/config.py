"""Where vertice keeps its state and how it reaches its database, read from the environment.

All local state lives under `VERTICE_HOME` (default `./var`): the SQLite
database, the secret key file and the simulated cloud's file.

| variable               | default                              |
|------------------------|--------------------------------------|
| `VERTICE_HOME`         | `./var`                              |
| `VERTICE_DATABASE_URL` | `sqlite:///$VERTICE_HOME/vertice.db` |
| `VERTICE_SECRET_KEY`   | the key in `$VERTICE_HOME/secret.key`, created on first use |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs


@attrs.frozen
class Config:
    """The installation's settings. Build one in `main` and pass it on."""

    home: Path
    database_url: str
    #: A Fernet key given by the environment; None means "use the key file under home".
    secret_key: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the settings from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ
        home = Path(env.get("VERTICE_HOME") or "var").resolve()
        url = env.get("VERTICE_DATABASE_URL") or f"sqlite:///{home / 'vertice.db'}"
        return cls(home=home, database_url=url, secret_key=env.get("VERTICE_SECRET_KEY") or None)

    @property
    def key_file(self) -> Path:
        """The file the secret key is kept in when the environment gives none."""
        return self.home / "secret.key"
