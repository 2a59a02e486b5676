"""What an instance runs: a command, its arguments and environment variables, and their bounds.

A plan says it with a `::command` characteristic (`command`, `args`: lists of
strings) and its `::env` characteristic; an assembly may override each at
declaration. The semantics are Kubernetes': `command` replaces the image's
entrypoint, `args` replaces the image's default arguments (Docker's `CMD`);
giving a command without args runs it with none.

The checks here are pure: each returns `Problem`s at the JSON path of the
field, so the API answers a 422 that names it and nothing is stored. The
bounds keep a declaration (and the container's create request) small.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vertice_core.errors import Problem

#: At most this many strings in `command` and in `args`.
MAX_ARGV = 64
#: At most this many bytes (UTF-8) in one string of `command` or `args`, or one env value.
MAX_STRING_BYTES = 4096
#: At most this many environment variables.
MAX_ENV = 128
#: What an environment variable's name may be (POSIX shells' rule), and its longest.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_ENV_NAME = 255


def _string_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if "\0" in value:
        return "must not hold a NUL character"
    if len(value.encode()) > MAX_STRING_BYTES:
        return f"must be at most {MAX_STRING_BYTES} bytes long"
    return None


def argv_problems(path: str, value: Any) -> list[Problem]:
    """Why `value` is not a valid `command` or `args` (a non-empty list of strings)."""
    if not isinstance(value, list):
        return [Problem(path, "must be a list of strings")]
    if not value:
        return [Problem(path, "must hold at least one string (leave it out for the image's)")]
    if len(value) > MAX_ARGV:
        return [Problem(path, f"must hold at most {MAX_ARGV} strings")]
    found = []
    for index, item in enumerate(value):
        problem = _string_problem(item)
        if problem:
            found.append(Problem(f"{path}[{index}]", problem))
    return found


def env_name_problem(name: str) -> str | None:
    """Why `name` is not a valid environment variable name, or None."""
    if len(name) > MAX_ENV_NAME or not ENV_NAME.fullmatch(name):
        return (
            f"{name[:64]!r} is not a valid variable name (a letter or '_', then letters, "
            f"digits or '_'; at most {MAX_ENV_NAME})"
        )
    return None


def env_problems(path: str, value: Any) -> list[Problem]:
    """Why `value` is not a valid `env` (an object of at most 128 names to string values)."""
    if not isinstance(value, Mapping):
        return [Problem(path, "must be an object of variable names to string values")]
    if len(value) > MAX_ENV:
        return [Problem(path, f"must hold at most {MAX_ENV} variables")]
    found = []
    for name, item in value.items():
        name_problem = env_name_problem(str(name))
        if name_problem:
            found.append(Problem(path, name_problem))
            continue
        problem = _string_problem(item)
        if problem:
            found.append(Problem(f"{path}[{str(name)!r}]", problem))
    return found


def run_problems(
    path: str,
    *,
    command: Any = None,
    args: Any = None,
    env: Any = None,
) -> list[Problem]:
    """Every problem of a command, args and env given at `path` (None: not given)."""
    found: list[Problem] = []
    if command is not None:
        found += argv_problems(f"{path}.command", command)
    if args is not None:
        found += argv_problems(f"{path}.args", args)
    if env is not None:
        found += env_problems(f"{path}.env", env)
    return found
