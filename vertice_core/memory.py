"""What a long-running process (an API worker, the reconciler) can drop once it has
imported its code.

attrs writes the source of the methods it generates (`__init__`, `__eq__`,
`__repr__`, ...) into `linecache`, so that a traceback through one shows its
lines. The entries are kept for the life of the process: once an API worker's
app is loaded they hold 0.58 MB of strings (168 entries, one per class). An API
worker drops them as it starts serving (`vertice_api.worker`), and the
reconciler once it is built: the worker's RSS measured 0.2-0.3 MB lower (the
pages stay mapped, the room freed in them takes the worker's next objects;
`python -m bench --size quick footprint`), against a budget of 60 MB (issue 18).
Dropped, a traceback through a generated method still names it and its line;
it only lacks the line's text.
"""

from __future__ import annotations

import linecache

#: How attrs names the source of a class's generated methods in `linecache`.
GENERATED = "<attrs generated"


def forget_generated_sources() -> int:
    """Drop the generated methods' source text from `linecache`; how many went."""
    names = [name for name in list(linecache.cache) if name.startswith(GENERATED)]
    for name in names:
        linecache.cache.pop(name, None)
    return len(names)
