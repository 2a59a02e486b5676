"""Reading one of oned's pools page by page, the pages overlapping by one object.

oned pages a pool by offset (`start` the offset, `end` minus the page size: the
XML-RPC reference of `one.vmpool.infoextended` and `one.imagepool.info`). An
object that leaves the pool while it is read (a VM reaching DONE, an image
deleted) shifts every later one an offset back, which would hide one object
from the listing; with the pages overlapping by one, a page that does not hold
the previous page's last object shows it, and earlier pages are read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertice_core.errors import TransientError


def read_pages(fetch: Callable[[int, int], list[Any]], size: int, what: str) -> list[Any]:
    """Every object `fetch(offset, page_size)` pages through, by id (`ID`), in pages of
    `size`; TransientError `ListingUnstable` when the pool keeps moving."""
    found: dict[int, Any] = {}
    offset, anchor, calls = 0, None, 0
    while True:
        calls += 1
        if calls > 4 * (len(found) // (size - 1) + 2) + 16:
            raise TransientError(
                f"opennebula: the {what} pool kept changing while it was read; retrying",
                reason="ListingUnstable",
            )
        page = fetch(offset, size)
        ids = [int(item.ID) for item in page]
        if anchor is not None and anchor not in ids and offset > 0:
            offset = max(0, offset - (size - 1))
            continue
        found.update(zip(ids, page, strict=True))
        if len(page) < size:
            return list(found.values())
        offset += size - 1
        anchor = ids[-1]
