"""`vertice_core.memory`: attrs' generated sources leave `linecache`, tracebacks still work."""

from __future__ import annotations

import linecache
import traceback

import attrs

from vertice_core.memory import GENERATED, forget_generated_sources


def test_the_generated_sources_are_dropped_and_a_traceback_through_one_still_formats():
    @attrs.frozen
    class Point:
        x: int = attrs.field(validator=attrs.validators.instance_of(int))

    assert any(name.startswith(GENERATED) for name in linecache.cache)
    kept = {name for name in linecache.cache if not name.startswith(GENERATED)}

    assert forget_generated_sources() >= 1
    assert not [name for name in linecache.cache if name.startswith(GENERATED)]
    assert kept <= set(linecache.cache)  # the files' own sources stay

    try:
        Point("not a number")  # type: ignore[arg-type]
    except TypeError:
        printed = traceback.format_exc()
    assert "__init__" in printed and "TypeError" in printed
    assert forget_generated_sources() == 0
