"""What a pass keeps of an assembly it found settled: one number for what it saw.

A pass skips planning an assembly whose row and instances did not move since a pass
found nothing to do for it (`RegionPass.settled`). It keeps, per assembly, a hash of
the row and of the instances instead of the row and the instances themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vertice_core.driver import Instance


def seen_as(row: tuple[Any, ...], instances: Sequence[Instance]) -> int:
    """What a pass saw of an assembly, its row and its instances, as one number. Kept
    between passes instead of the row and the instances themselves: the instances held
    some 1.5 KB per assembly, the row 0.9 KB (24 MB at 10,000, and as much again while a
    pass holds the new ones).

    The row's fields are strings (hashed with SipHash, keyed per process: unpredictable),
    non-negative integers, timestamps, flags and None. Python's tuple hash takes each
    field's hash through steps that are one-to-one, so two rows that differ in one
    integer, flag or timestamp only never give the same number (those hash one-to-one at
    these magnitudes; -1 and -2, which share a hash, are not values of these fields);
    rows that differ otherwise do with a chance of about 2**-64 per look."""
    return hash((row, _fingerprint(instances)))


def _fingerprint(instances: Sequence[Instance]) -> int:
    """What a pass saw of an assembly's instances, as one number: a hash of every field
    of each (tags as a set), in order. The instances' fields are strings, their state,
    addresses, tags and creation time, so two different views give the same number with
    a chance of about 2**-64 per look."""
    return hash(
        tuple(
            (i.key, i.cloud_id, i.state, i.public_ipv4, i.private_ipv4, i.access,
             frozenset(i.tags.items()), i.created_at, i.size)
            for i in instances
        )
    )  # fmt: skip
