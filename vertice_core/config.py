"""Where vertice keeps its state and how it reaches its database, read from the environment.

All local state lives under `VERTICE_HOME` (default `./var`): the SQLite
database, the secret key file and the simulated cloud's file.

Every variable, its key in the configuration file and its default are listed
once, in `vertice_core.settings_file.KEYS` (the table of docs/configuration.md).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from vertice_core.billing.policy import PolicySettings
from vertice_core.logs import LOG_FORMATS, LOG_LEVELS

#: The most instances one assembly may declare unless `VERTICE_MAX_REPLICAS` says otherwise.
DEFAULT_MAX_REPLICAS = 100


@attrs.frozen
class BuildSettings:
    """How builds run (`VERTICE_BUILD_*`; the defaults are the table's)."""

    #: Whether sources may be `file://` or `http://` URLs, or hosts at local addresses
    #: (loopback, link-local, a cloud's metadata address). Off: a user cannot make the
    #: control plane read its own files or reach what only it can reach.
    allow_local: bool = False
    #: Seconds one build may take (fetch and build); past it, it fails `BuildTimedOut`.
    timeout: float = 1800.0
    #: Characters of a build's log kept.
    log_limit: int = 2**20
    #: Builds one reconciler process runs at once.
    workers: int = 2
    #: Builds of one project running at once, installation-wide.
    project_limit: int = 2
    #: Seconds a revision released over an earlier one has to run on every instance and be
    #: ready (its probe passing); past them it is failed and the earlier one comes back.
    rollout_timeout: float = 600.0


@attrs.frozen
class ServerSettings:
    """How `vertice serve` serves and what the processes log (`VERTICE_BIND`,
    `VERTICE_WORKERS`, `VERTICE_ACCESS_LOG`, `VERTICE_LOG_LEVEL`, `VERTICE_LOG_FORMAT`;
    the command's flags override them)."""

    bind: str = "127.0.0.1:8080"
    #: gunicorn worker processes.
    workers: int = 2
    #: Whether gunicorn logs one line per request (in the log's format).
    access_log: bool = False
    log_level: str = "info"
    #: `text` (one line of words) or `json` (one object a line).
    log_format: str = "text"

    def environ(self) -> dict[str, str]:
        """These settings as the variables `Config.from_env` reads them from: what a process
        started with them (the API's gunicorn master, `vertice_api.master`) is given."""
        return {
            "VERTICE_BIND": self.bind,
            "VERTICE_WORKERS": str(self.workers),
            "VERTICE_ACCESS_LOG": "1" if self.access_log else "0",
            "VERTICE_LOG_LEVEL": self.log_level,
            "VERTICE_LOG_FORMAT": self.log_format,
        }


@attrs.frozen
class Config:
    """The installation's settings. Build one in `main` and pass it on."""

    home: Path
    database_url: str
    #: A Fernet key given by the environment; None means "use the key file under home".
    secret_key: str | None = None
    #: The most instances one assembly may declare (`replicas` above it is refused).
    max_replicas: int = DEFAULT_MAX_REPLICAS
    #: The type of the installation's reverse proxy (a `vertice.routers` entry point), if any.
    router_type: str | None = None
    #: That router's settings (structured by the router's settings class when it is loaded).
    router_settings: Mapping[str, object] = attrs.field(factory=dict)
    #: The Prometheus scalers query (`http(s)://host:port`), if any (see docs/autoscaling.md).
    prometheus_url: str | None = None
    #: How builds run and what sources they may fetch (see docs/builds.md).
    builds: BuildSettings = attrs.field(factory=BuildSettings)
    #: Whether a region's endpoint may be a link-local address or a cloud's metadata service
    #: (`vertice_core.addresses`): off, an administrator's typo or a stolen admin token
    #: cannot make the control plane send signed requests to what hands out its credentials.
    allow_metadata_endpoints: bool = False
    #: Seconds an API client has to send a whole request, from its connection: a slower
    #: one is cut off (`vertice_api.worker`), so a stalled client cannot hold a worker.
    request_timeout: int = 30
    #: Seconds an API worker keeps a token's lookup (0: none, every request reads it). A
    #: revocation counts at once on the workers of one `vertice serve` (they share their
    #: caches' generation); another API server sees it within this.
    token_cache_seconds: float = 5.0
    #: How `vertice serve` serves and how the processes log.
    server: ServerSettings = attrs.field(factory=ServerSettings)
    #: The balance policy (see docs/billing.md): warnings, and with enforcement the
    #: refusal, stop and deletion of what a project whose balance ran out runs.
    billing: PolicySettings = attrs.field(factory=PolicySettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the settings from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ
        home = Path(env.get("VERTICE_HOME") or "var").resolve()
        url = env.get("VERTICE_DATABASE_URL") or f"sqlite:///{home / 'vertice.db'}"
        return cls(
            home=home,
            database_url=url,
            secret_key=env.get("VERTICE_SECRET_KEY") or None,
            max_replicas=_positive(env, "VERTICE_MAX_REPLICAS", DEFAULT_MAX_REPLICAS),
            router_type=env.get("VERTICE_ROUTER") or None,
            router_settings=_json_object(env, "VERTICE_ROUTER_SETTINGS"),
            prometheus_url=_url(env, "VERTICE_PROMETHEUS_URL"),
            builds=BuildSettings(
                allow_local=_flag(env, "VERTICE_BUILD_ALLOW_LOCAL"),
                timeout=_positive(env, "VERTICE_BUILD_TIMEOUT", 1800),
                log_limit=_positive(env, "VERTICE_BUILD_LOG_LIMIT", 2**20),
                workers=_positive(env, "VERTICE_BUILD_WORKERS", 2),
                project_limit=_positive(env, "VERTICE_BUILD_PROJECT_LIMIT", 2),
                rollout_timeout=_positive(env, "VERTICE_BUILD_ROLLOUT_TIMEOUT", 600),
            ),
            allow_metadata_endpoints=_flag(env, "VERTICE_REGION_ALLOW_METADATA"),
            request_timeout=_positive(env, "VERTICE_REQUEST_TIMEOUT", 30),
            token_cache_seconds=positive_number(env, "VERTICE_TOKEN_CACHE_SECONDS", 5.0, zero=True),
            server=ServerSettings(
                bind=env.get("VERTICE_BIND") or "127.0.0.1:8080",
                workers=_positive(env, "VERTICE_WORKERS", 2),
                access_log=_flag(env, "VERTICE_ACCESS_LOG"),
                log_level=_choice(env, "VERTICE_LOG_LEVEL", LOG_LEVELS, "info"),
                log_format=_choice(env, "VERTICE_LOG_FORMAT", LOG_FORMATS, "text"),
            ),
            billing=PolicySettings(
                warn_below=_amount(env, "VERTICE_BILLING_WARN_BELOW"),
                enforce=_flag(env, "VERTICE_BILLING_ENFORCE"),
                stop_after=_positive(env, "VERTICE_BILLING_STOP_AFTER", 86400),
                delete_after=_optional_positive(env, "VERTICE_BILLING_DELETE_AFTER"),
            ),
        )

    @property
    def key_file(self) -> Path:
        """The file the secret key is kept in when the environment gives none."""
        return self.home / "secret.key"


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no setting: `1`, `true` or `yes` (any case) is yes; anything else, or unset, no."""
    return (env.get(name) or "0").lower() in ("1", "true", "yes")


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive integer setting; a wrong value stops the start with a clear message."""
    text = env.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, not {text!r}")
    return value


def positive_number(
    env: Mapping[str, str], name: str, default: float, *, zero: bool = False
) -> float:
    """A positive (finite) number setting, such as seconds (with `zero`, 0 too); a wrong
    value stops the start with a clear message."""
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value >= 0 if zero else value > 0) or value == math.inf:  # NaN is refused too
        wanted = "a number of 0 or more" if zero else "a positive number"
        raise ValueError(f"{name} must be {wanted}, not {text!r}")
    return value


def port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port setting (1 to 65535); a wrong value stops the start with a clear message."""
    text = env.get(name)
    if not text:
        return default
    value = int(text) if text.strip().isdecimal() else 0
    if not 1 <= value <= 65535:
        raise ValueError(f"{name} must be a port number from 1 to 65535, not {text!r}")
    return value


def _amount(env: Mapping[str, str], name: str) -> float | None:
    """A non-negative amount of money (unset: None); a wrong value stops the start clearly."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e12:
        raise ValueError(f"{name} must be an amount such as 10 or 2.50, not {text!r}")
    return value


def _optional_positive(env: Mapping[str, str], name: str) -> int | None:
    """A positive integer setting that is off when unset."""
    return _positive(env, name, 1) if env.get(name) else None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    """One of `choices` (any case; unset: `default`); another value stops the start clearly."""
    text = (env.get(name) or default).lower()
    if text not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {env.get(name)!r}")
    return text


def _json_object(env: Mapping[str, str], name: str) -> dict[str, object]:
    """A setting holding a JSON object; a wrong value stops the start with a clear message."""
    text = env.get(name)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{name} must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


def _url(env: Mapping[str, str], name: str) -> str | None:
    """An HTTP(S) base URL setting (unset: None); a wrong value stops the start clearly."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    if not text.startswith(("http://", "https://")) or len(text) > 1024:
        raise ValueError(f"{name} must be an http:// or https:// URL, not {text!r}")
    return text.rstrip("/")
