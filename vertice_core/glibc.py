"""glibc's allocator functions, looked up in one place (None where the C library is not
glibc: musl, macOS).

The reconciler gives its heap's free memory back and caps its arenas
(`vertice_core.runtime.heap`); an API worker maps large blocks on their own
(`vertice_api.worker`). The symbols are looked up in the process itself, which links
its C library: no search for the library's file (`ctypes.util.find_library` runs
`ldconfig` in a subprocess).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable


def function(name: str) -> Callable[..., int] | None:
    """glibc's function `name` (`malloc_trim`, `mallopt`), or None where there is none."""
    try:
        found: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    return found
