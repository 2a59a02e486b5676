"""A plan's inputs: what a user may (or must) say when launching it, typed and bounded.

A plan lists its inputs (`"inputs": [{"name": "password", "type": "string",
"secret": true, "generate": true, "env": "POSTGRES_PASSWORD"}]`); an assembly
gives values by name (`"inputs": {"http.port": "9090"}`). Every input has a
type (`string`, `integer`, `port`, `boolean`), an optional default (a string),
and reaches the instance as the environment variable `env` (by default its
name in capitals, other characters than letters and digits as `_`:
`http.port` -> `HTTP_PORT`). A `secret` input is sealed at rest and never
returned; one that says `generate` gets a random value when the declaration
gives none, shown once, in the answer that declared the assembly. An input
without a default that is not generated must be given. A plan whose inputs
all have a default or are generated is launchable in a click: with nothing but
a region, a flavor and (for VMs) a credential.

Everything here is pure and answers `Problem`s at the field's JSON path.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from vertice_core.errors import Problem
from vertice_core.model.run import MAX_STRING_BYTES, env_name_problem

#: What an input's name may be (`http.port`, `admin_user`).
INPUT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,62}")
#: At most this many inputs in a plan.
MAX_INPUTS = 64
#: Characters of a generated secret.
GENERATED_LENGTH = 24


class InputType(enum.StrEnum):
    """What values an input takes."""

    STRING = "string"
    INTEGER = "integer"
    PORT = "port"
    BOOLEAN = "boolean"


@attrs.frozen
class LaunchInput:
    """One input of a plan (see the module's docstring)."""

    name: str
    type: InputType = InputType.STRING
    #: The value when the declaration gives none; None: it must be given (or generated).
    default: str | None = None
    secret: bool = False
    #: Of a secret input: a random value is made when none is given (shown once).
    generate: bool = False
    #: The environment variable the value reaches ("" : derived from the name).
    env: str = ""
    description: str = ""

    @property
    def variable(self) -> str:
        """The environment variable the value reaches."""
        return self.env or re.sub(r"[^A-Za-z0-9]", "_", self.name).upper()

    @property
    def required(self) -> bool:
        """Whether a declaration must give it."""
        return self.default is None and not self.generate


def value_problem(kind: InputType, value: str) -> str | None:
    """Why `value` (a string) is not a value of `kind`, or None."""
    if "\0" in value or len(value.encode()) > MAX_STRING_BYTES:
        return f"must be at most {MAX_STRING_BYTES} bytes, without NUL characters"
    if kind is InputType.INTEGER and not re.fullmatch(r"-?[0-9]{1,18}", value):
        return "must be an integer"
    if kind is InputType.PORT and not (value.isdigit() and 1 <= int(value) <= 65535):
        return "must be a TCP port (1 to 65535)"
    if kind is InputType.BOOLEAN and value not in ("true", "false"):
        return "must be true or false"
    return None


def plan_input_problems(path: str, inputs: Sequence[LaunchInput]) -> list[Problem]:
    """Why a plan's inputs are invalid (checked when the plan is stored)."""
    found: list[Problem] = []
    if len(inputs) > MAX_INPUTS:
        return [Problem(path, f"must hold at most {MAX_INPUTS} inputs")]
    names: set[str] = set()
    variables: set[str] = set()
    for index, given in enumerate(inputs):
        at = f"{path}[{index}]"
        named = len(found)
        if not INPUT_NAME.fullmatch(given.name):
            found.append(Problem(f"{at}.name", f"{given.name[:64]!r} is not a valid input name "
                                 "(a letter, then letters, digits, '.', '_' or '-')"))  # fmt: skip
        elif given.name in names:
            found.append(Problem(f"{at}.name", f"{given.name!r} is given twice"))
        names.add(given.name)
        # A variable derived from a bad name says nothing more: only a given one is checked.
        problem = env_name_problem(given.variable) if given.env or len(found) == named else None
        if problem:
            found.append(Problem(f"{at}.env", problem))
        elif len(found) == named and given.variable in variables:
            found.append(Problem(f"{at}.env", f"{given.variable!r} is the variable of another "
                                 "input"))  # fmt: skip
        variables.add(given.variable)
        if given.generate and not given.secret:
            found.append(Problem(f"{at}.generate", "only a secret input is generated"))
        if given.default is not None:
            problem = value_problem(given.type, given.default)
            if problem:
                found.append(Problem(f"{at}.default", problem))
    return found


def _text(value: Any) -> str | None:
    """A declared value as the string it stands for (JSON numbers and booleans too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


@attrs.frozen
class Resolved:
    """A declaration's input values: every input of the plan, given or defaulted or made."""

    values: Mapping[str, str]
    #: The names whose value was generated (shown once, in the declaration's answer).
    generated: tuple[str, ...] = ()


def resolve(
    inputs: Sequence[LaunchInput], given: Mapping[str, Any] | None, path: str = "$.inputs"
) -> tuple[Resolved, list[Problem]]:
    """Every input's value for a declaration that gives `given`, and what is wrong with it."""
    given = dict(given or {})
    known = {i.name: i for i in inputs}
    found = [Problem(f"{path}[{name!r}]", f"the plan has no input {str(name)[:64]!r} (it has: "
                     f"{', '.join(known) or 'none'})")
             for name in given if name not in known]  # fmt: skip
    values: dict[str, str] = {}
    generated: list[str] = []
    for plan_input in inputs:
        at = f"{path}[{plan_input.name!r}]"
        if plan_input.name in given:
            text = _text(given[plan_input.name])
            problem = "must be a string, a number or a boolean" if text is None else (
                value_problem(plan_input.type, text))  # fmt: skip
            if problem:
                found.append(Problem(at, problem))
            elif text is not None:
                values[plan_input.name] = text
        elif plan_input.default is not None:
            values[plan_input.name] = plan_input.default
        elif plan_input.generate:
            values[plan_input.name] = secrets.token_urlsafe(GENERATED_LENGTH)[:GENERATED_LENGTH]
            generated.append(plan_input.name)
        else:
            found.append(
                Problem(at, f"required: {plan_input.description or 'the plan has no default'}")
            )
    return Resolved(values, tuple(generated)), found
