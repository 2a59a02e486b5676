"""The configuration file: a TOML file whose keys stand for `VERTICE_*` variables.

Every setting is an environment variable first, read by one parser
(`Config.from_env`, `ReconcilerSettings.from_env`, the notifiers). The file
(`--config PATH`, else `VERTICE_CONFIG`) only supplies values for the
variables the environment leaves unset: `environ` turns its values into the
strings the environment would hold (`true` -> `1`, a list -> `a,b`, a table
-> JSON) and lays the environment on top. So each setting keeps one parser and
its messages; `explain` then names the file's key in a message about a
variable that came from the file.

`KEYS` is the one list of file keys, variables and defaults: the table in
docs/configuration.md is `markdown_table()`, and a test holds every
`VERTICE_*` variable the code reads to a key here.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

import attrs

from vertice_core.reconcile.settings import ReconcilerSettings

#: The kinds of value a key takes, and how each is written in a message.
TEXT, NUMBER, FLAG, OBJECT, LIST = "a string", "a number", "true or false", "a table", "a list"


class SettingsFileError(ValueError):
    """A configuration file that cannot be used; its message is one line naming the file."""


@attrs.frozen
class Key:
    """One setting of the file: where it is, which variable it stands for, its default."""

    #: The TOML table it is in (`api`, `notify.webhook`), or "" at the top.
    section: str
    name: str
    variable: str
    kind: str
    #: The default, as the documentation says it.
    default: str

    @property
    def label(self) -> str:
        """How messages name it: `[api] workers`, or `home` at the top."""
        return f"[{self.section}] {self.name}" if self.section else self.name


def _reconcile_keys() -> list[Key]:
    """`[reconcile]`: one key per field of `ReconcilerSettings`, its default the field's."""
    return [
        Key("reconcile", f.name, f"VERTICE_RECONCILE_{f.name.upper()}", NUMBER, f"`{f.default}`")
        for f in attrs.fields(ReconcilerSettings)
    ]


def _notifier_keys(section: str, prefix: str) -> list[Key]:
    """A notifier's event filters (`vertice_notify.filters`): comma-separated lists."""
    return [
        Key(section, name, f"{prefix}_{name.upper()}", LIST, "all")
        for name in ("projects", "events", "severities")
    ]


KEYS: tuple[Key, ...] = (
    Key("", "home", "VERTICE_HOME", TEXT, "`./var`"),
    Key("", "database_url", "VERTICE_DATABASE_URL", TEXT, "`sqlite:///$VERTICE_HOME/vertice.db`"),
    Key("", "secret_key", "VERTICE_SECRET_KEY", TEXT, "the key file `$VERTICE_HOME/secret.key`"),
    Key("", "max_replicas", "VERTICE_MAX_REPLICAS", NUMBER, "`100`"),
    Key("", "prometheus_url", "VERTICE_PROMETHEUS_URL", TEXT, "unset: scalers hold"),
    Key("api", "bind", "VERTICE_BIND", TEXT, "`127.0.0.1:8080`"),
    Key("api", "workers", "VERTICE_WORKERS", NUMBER, "`2`"),
    Key("api", "request_timeout", "VERTICE_REQUEST_TIMEOUT", NUMBER, "`30`"),
    Key("api", "token_cache_seconds", "VERTICE_TOKEN_CACHE_SECONDS", NUMBER, "`5`"),
    Key("api", "access_log", "VERTICE_ACCESS_LOG", FLAG, "`false`"),
    Key("log", "level", "VERTICE_LOG_LEVEL", TEXT, "`info`"),
    Key("log", "format", "VERTICE_LOG_FORMAT", TEXT, "`text` (or `json`)"),
    Key("regions", "allow_metadata", "VERTICE_REGION_ALLOW_METADATA", FLAG, "`false`"),
    Key("builds", "allow_local", "VERTICE_BUILD_ALLOW_LOCAL", FLAG, "`false`"),
    Key("builds", "timeout", "VERTICE_BUILD_TIMEOUT", NUMBER, "`1800`"),
    Key("builds", "log_limit", "VERTICE_BUILD_LOG_LIMIT", NUMBER, "`1048576`"),
    Key("builds", "workers", "VERTICE_BUILD_WORKERS", NUMBER, "`2`"),
    Key("builds", "project_limit", "VERTICE_BUILD_PROJECT_LIMIT", NUMBER, "`2`"),
    Key("builds", "rollout_timeout", "VERTICE_BUILD_ROLLOUT_TIMEOUT", NUMBER, "`600`"),
    *_reconcile_keys(),
    Key("router", "type", "VERTICE_ROUTER", TEXT, "unset: no proxy"),
    Key("router", "settings", "VERTICE_ROUTER_SETTINGS", OBJECT, "`{}`"),
    Key("notify.webhook", "url", "VERTICE_WEBHOOK_URL", TEXT, "unset: no webhook"),
    Key("notify.webhook", "secret", "VERTICE_WEBHOOK_SECRET", TEXT, "unset: unsigned"),
    Key("notify.webhook", "timeout", "VERTICE_WEBHOOK_TIMEOUT", NUMBER, "`5`"),
    *_notifier_keys("notify.webhook", "VERTICE_WEBHOOK"),
    Key("notify.smtp", "host", "VERTICE_SMTP_HOST", TEXT, "unset: no mail"),
    Key("notify.smtp", "port", "VERTICE_SMTP_PORT", NUMBER, "`25`"),
    Key("notify.smtp", "from", "VERTICE_SMTP_FROM", TEXT, "`vertice@localhost`"),
    Key("notify.smtp", "to", "VERTICE_SMTP_TO", LIST, "none"),
    Key("notify.smtp", "starttls", "VERTICE_SMTP_STARTTLS", FLAG, "`false`"),
    Key("notify.smtp", "user", "VERTICE_SMTP_USER", TEXT, "unset"),
    Key("notify.smtp", "password", "VERTICE_SMTP_PASSWORD", TEXT, "unset"),
    Key("notify.smtp", "templates", "VERTICE_SMTP_TEMPLATES", TEXT, "the built-in ones"),
    *_notifier_keys("notify.smtp", "VERTICE_SMTP"),
    Key("billing", "warn_below", "VERTICE_BILLING_WARN_BELOW", NUMBER, "unset: no warning"),
    Key("billing", "enforce", "VERTICE_BILLING_ENFORCE", FLAG, "`false`"),
    Key("billing", "stop_after", "VERTICE_BILLING_STOP_AFTER", NUMBER, "`86400`"),
    Key("billing", "delete_after", "VERTICE_BILLING_DELETE_AFTER", NUMBER, "unset: never"),
)

BY_PLACE = {(k.section, k.name): k for k in KEYS}
BY_VARIABLE = {k.variable: k for k in KEYS}
SECTIONS = {k.section for k in KEYS} | {"notify"}
#: A variable's name in a message.
VARIABLE = re.compile(r"VERTICE_[A-Z0-9_]+")


@attrs.frozen
class Settings:
    """A file's settings as variables, and the environment they were laid under."""

    #: The file as the user named it (messages say it so).
    path: str
    #: Each variable the file sets, as the environment would hold it.
    values: Mapping[str, str]
    #: The variables the environment overrode.
    overridden: frozenset[str] = frozenset()

    def explain(self, message: str) -> str:
        """`message` (a parser's, naming variables) with each variable that came from the
        file named as the file's key: `vertice.toml: [api] workers must be ...`."""

        def name(match: re.Match[str]) -> str:
            variable = match[0]
            if variable not in self.values or variable in self.overridden:
                return variable
            return f"{self.path}: {BY_VARIABLE[variable].label}"

        return VARIABLE.sub(name, message)


def read(path: str) -> dict[str, str]:
    """The variables the file at `path` sets; `SettingsFileError` for an unreadable file,
    invalid TOML, an unknown key or a value of the wrong type."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingsFileError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: invalid TOML: {exc}") from None
    values: dict[str, str] = {}
    _walk(path, document, "", values)
    return values


def environ(path: str, env: Mapping[str, str]) -> tuple[dict[str, str], Settings]:
    """`env` laid over the file's settings (an empty variable counts as unset, as the
    parsers read it): the mapping the parsers read, and where each setting came from."""
    values = read(path)
    merged = dict(env)
    merged.update((name, text) for name, text in values.items() if not env.get(name))
    overridden = frozenset(name for name in values if env.get(name))
    return merged, Settings(path, values, overridden)


def _walk(path: str, table: Mapping[str, object], section: str, out: dict[str, str]) -> None:
    """Collect a table's keys into `out`, refusing what `KEYS` does not know."""
    for name, value in table.items():
        key = BY_PLACE.get((section, name))
        inner = f"{section}.{name}" if section else name
        if key is not None:
            out[key.variable] = _text(path, key, value)
        elif isinstance(value, dict) and inner in SECTIONS:
            _walk(path, value, inner, out)
        else:
            where = f"[{section}] {name}" if section else name
            raise SettingsFileError(f"{path}: unknown key {where}")


def _text(path: str, key: Key, value: object) -> str:
    """`value` as the environment would hold it; `SettingsFileError` unless it is of the
    key's kind (a string is taken for any kind but a flag: its parser judges it)."""
    text = _as_text(key.kind, value)
    if text is None:
        raise SettingsFileError(f"{path}: {key.label} must be {key.kind}, not {_shown(value)}")
    return text


def _as_text(kind: str, value: object) -> str | None:
    if kind == FLAG:
        return ("1" if value else "0") if isinstance(value, bool) else None
    if isinstance(value, str):
        return value
    if kind == NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if kind == OBJECT and isinstance(value, dict):
        return json.dumps(value)
    if kind == LIST and isinstance(value, list) and all(isinstance(i, str) for i in value):
        return ",".join(value)
    return None


def _shown(value: object) -> str:
    """A value as a message shows it: a string quoted (cut short), else its TOML kind."""
    if isinstance(value, str):
        return repr(value)[:80]
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a table"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


def markdown_table() -> str:
    """The table of docs/configuration.md: every key, its variable and its default."""
    rows = ["| file key | variable | default |", "|---|---|---|"]
    rows += [f"| `{k.label}` | `{k.variable}` | {k.default} |" for k in KEYS]
    return "\n".join(rows) + "\n"
