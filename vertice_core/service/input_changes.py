"""Changing an assembly's plan inputs after its launch: a JSON Patch on `/inputs`.

`PATCH /v3/assembly/{id}` sees the assembly's inputs as `inputs`, one member
per input it has: a plain input shows its value; a secret one shows
`HIDDEN` ("<secret>"), never its value, so no operation of a patch (a `test`,
a `copy` into another field) can reveal or probe it. After the patch:

* an input whose value changed takes the new one, checked against the plan's
  input (its type: a 422 naming `$.inputs['name']`); a secret one is sealed;
* a secret input still showing `HIDDEN` keeps its value;
* an input the patch removed goes back to the plan's default, or, for a
  generated secret, gets a newly generated value, shown once in the patch's
  answer (`generated_inputs`), as in the answer that declared the assembly;
  removing a required input is a 422.

When any value changed, the assembly's instances are replaced one at a time
(`replace_count` is raised) to run with the new values, and assemblies bound
to it follow (the binding controller sees the provider's values change): a
database's password is rotated by `replace /inputs/password`, its consumers'
`DATABASE_URL` with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from vertice_core.crypto import SecretBox
from vertice_core.errors import InvalidInput
from vertice_core.model.inputs import LaunchInput
from vertice_core.model.inputs import resolve as resolve_inputs

__all__ = ["HIDDEN", "Changed", "changed_inputs", "shown_inputs"]

#: What a patch sees of a secret input's value (and what keeps it when left there).
HIDDEN = "<secret>"


@attrs.frozen
class Changed:
    """The spec document's inputs after a patch, and the secrets generated anew."""

    inputs: dict[str, str]
    sealed_inputs: dict[str, str]
    generated: dict[str, str] = attrs.field(factory=dict, repr=False)


def shown_inputs(spec: Mapping[str, Any]) -> dict[str, str]:
    """The `inputs` member of the patch document: plain values, and `HIDDEN` for secrets."""
    shown = dict(spec.get("inputs") or {})
    shown.update(dict.fromkeys(spec.get("sealed_inputs") or {}, HIDDEN))
    return shown


def changed_inputs(
    spec: Mapping[str, Any], plan_inputs: Sequence[LaunchInput], patched: Any, box: SecretBox
) -> Changed:
    """The inputs after a patch left `patched` as the `inputs` member (see the module);
    `InvalidInput` naming every input refused."""
    if not isinstance(patched, dict):
        raise InvalidInput.at("$.inputs", "must be an object of input names and values")
    sealed = dict(spec.get("sealed_inputs") or {})
    # a secret left hidden keeps its value; one hidden but never set is as if not given
    given = {
        name: box.open(sealed[name]) if value == HIDDEN and name in sealed else value
        for name, value in patched.items()
        if value != HIDDEN or name in sealed
    }
    resolved, problems = resolve_inputs(plan_inputs, given)
    if problems:
        raise InvalidInput(problems)
    secret = {i.name for i in plan_inputs if i.secret}
    values = resolved.values
    return Changed(
        inputs={k: v for k, v in values.items() if k not in secret},
        sealed_inputs={
            k: sealed[k] if patched.get(k) == HIDDEN and k in sealed else box.seal(v)
            for k, v in values.items()
            if k in secret
        },
        generated={name: values[name] for name in resolved.generated},
    )
