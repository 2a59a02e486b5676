"""One log format for every vertice process: `text` lines or `json` objects.

`dict_config` is a `logging.config.dictConfig` document: `configure` applies
it to a vertice process (the reconciler, `vertice serve`'s supervisor), and
gunicorn takes it as its `logconfig_dict`, so its error log, its access log
and vertice's own loggers in the API's workers write the same lines.

A JSON line carries `time`, `level`, `logger`, `pid` and `message` and, where
the call gave them (`extra=assembly_fields(...)`), the assembly's name and id
(`assembly`, `assembly_id`) and the `region`; an exception's traceback is
`exc`.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

#: The levels `--log-level` / `VERTICE_LOG_LEVEL` take, and the formats of `--log-format`
#: (here, not in `vertice_core.config`: the CLI's options name them without its imports).
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")

#: A text line: time, process, logger, level, message.
TEXT_FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
#: The `extra=` fields a JSON line carries when the call gave them.
EXTRA_FIELDS = ("assembly", "assembly_id", "region")


def assembly_fields(name: str, assembly_id: str, region: str | None = None) -> dict[str, str]:
    """The `extra=` of a line about one assembly (JSON lines carry them as fields)."""
    fields = {"assembly": name, "assembly_id": assembly_id}
    if region is not None:
        fields["region"] = region
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                document[name] = value
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def dict_config(
    level: str = "info", fmt: str = "text", *, access_log: bool = False
) -> dict[str, Any]:
    """Every logger (the root, gunicorn's error and access logs) to stderr in `fmt` at
    `level`; gunicorn's access lines only when `access_log` is on."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": f"{__name__}.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {
                "level": "INFO" if access_log else "WARNING",
                "handlers": [],
                "propagate": True,
            },
        },
    }


def configure(level: str = "info", fmt: str = "text") -> None:
    """Log this process's lines (vertice's and its libraries') in `fmt` from `level` up."""
    logging.config.dictConfig(dict_config(level, fmt))
