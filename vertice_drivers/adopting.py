"""Checks every driver's `adopt` makes alike (`vertice_core.driver.Driver.adopt`).

The tags given must name the driver's installation and a key (else `observe` would
never list the adopted instance), and an instance that carries an installation's tags
may be adopted only by that installation under the same key: adopting again is then a
success, anything else `ManagedElsewhere`. The messages start with the cloud type,
as the drivers' own do.
"""

from __future__ import annotations

from collections.abc import Mapping

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY
from vertice_core.errors import TerminalError


def check_tags(cloud: str, installation: str, tags: Mapping[str, str]) -> None:
    """TerminalError `InvalidTags` unless `tags` name `installation` and a key."""
    if tags.get(TAG_INSTALLATION) != installation or not tags.get(TAG_KEY):
        raise TerminalError(
            f"{cloud}: adopting needs the tags {TAG_INSTALLATION}={installation} and a "
            f"{TAG_KEY}, not {dict(tags)}",
            reason="InvalidTags",
        )


def refuse_managed(
    what: str, carried: Mapping[str, str], installation: str, tags: Mapping[str, str]
) -> None:
    """TerminalError `ManagedElsewhere` when the instance (`what`: "aws: instance i-1")
    carries the tags of an installation other than `installation`, or of this one under
    another key than `tags`'."""
    managing, key = carried.get(TAG_INSTALLATION, ""), carried.get(TAG_KEY, "")
    if not managing or (managing == installation and key == tags[TAG_KEY]):
        return
    whose = "another installation" if managing != installation else f"key {key!r}"
    raise TerminalError(f"{what} is managed by {whose} already", reason="ManagedElsewhere")
