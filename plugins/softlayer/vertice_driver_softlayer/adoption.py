"""Adoption on SoftLayer: guests made by hand become an installation's by name and tags.

vertice knows its guests by name: `observe` lists the installation's subdomain
`<installation id>.<domain>` with an object filter, and a guest's hostname is its
instance's key (`translate`). A guest made by hand (or by vertice 1.5) is in no such
subdomain and carries no `vertice-installation` tag: it is unmanaged. `listing` reads
the account's guests in one paged `SoftLayer_Account::getVirtualGuests`, as `observe`
pages it (ordered by id, `resultLimit` pages, the same object mask) but without the
domain filter, since the guests it wants are those the filter leaves out, and keeps the
live ones that no installation holds by tag or by name. A guest in an installation's
subdomain (`vti-<...>.<domain>` of this region's `domain`) is that installation's even
untagged: an order whose `setTags` has not run yet.

`adopt` marks the guest as `create` marks the guests it orders, so that `observe` lists
it as any other:

1. `SoftLayer_Virtual_Guest::setTags` with the installation's tags and the guest's own.
   `setTags` sets the whole list (the SDK's `VSManager.edit`: "the empty string removes
   all tags"), so the guest's own tags are sent again, unchanged; one more,
   `vertice-adopted-from:<former hostname.domain>`, keeps the name it had.
2. `SoftLayer_Virtual_Guest::editObject` with `hostname` (the key, as `create` names a
   guest) and `domain` (the installation's subdomain). SoftLayer's reference: "Edit a
   computing instance's properties", the parameter "a skeleton SoftLayer_Virtual_Guest
   object with only the properties defined that you wish to change. Unchanged properties
   are left alone", the reply a boolean; it names no transaction or power action, where
   the methods that restart a guest say so (`reboot*`, `executeRescueLayer`). The guest
   keeps its id, disks, addresses, power state and running system.

Tags first: from then on another installation sees the guest as this one's and
`unmanaged` no longer lists it; a rename that failed is finished by the next `adopt`
(the tags then name the same key). Only SoftLayer's record of the name changes: vertice
runs nothing in the guest, whose operating system keeps its own hostname. SoftLayer
cannot edit on a condition, so two installations adopting one guest at the same moment
may both write; the guest is read again afterwards and the installation whose tags did
not stay is refused (which narrows the window, not closes it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vertice_core.driver import TAG_INSTALLATION, TAG_KEY, Instance
from vertice_core.errors import TerminalError, TransientError
from vertice_driver_softlayer.client import call, is_not_found
from vertice_driver_softlayer.states import reclaiming
from vertice_driver_softlayer.translate import (
    every_tag,
    guest_instance,
    hostname_for,
    instance_of,
    tag_names,
    tag_texts,
    tag_value,
    tags_of,
)
from vertice_drivers.adopting import check_tags, refuse_managed

if TYPE_CHECKING:
    from vertice_driver_softlayer.driver import SoftLayerDriver

#: The tag that keeps the name an adopted guest had before it was renamed.
TAG_ADOPTED_FROM = "vertice-adopted-from"
#: The first label of an installation's subdomain: an installation id as vertice makes them.
_INSTALLATION_LABEL = re.compile(r"vti-[a-z0-9][a-z0-9-]*")


def managing(driver: SoftLayerDriver, guest: Mapping[str, Any]) -> dict[str, str]:
    """The installation tags of a guest: those it carries, else those its name gives it (a
    guest in an installation's subdomain is that installation's, its hostname the key)."""
    carried = tags_of(guest)
    if carried.get(TAG_INSTALLATION):
        return carried
    named = _named_installation(driver, guest)
    if not named:
        return carried
    hostname = str(guest.get("hostname", "")).lower()
    return {**carried, TAG_INSTALLATION: named, TAG_KEY: carried.get(TAG_KEY) or hostname}


def _named_installation(driver: SoftLayerDriver, guest: Mapping[str, Any]) -> str:
    """The installation whose subdomain the guest is in ('' when none)."""
    domain = str(guest.get("domain", "")).lower()
    if domain == driver.domain:
        return driver.region.installation_id
    label, dot, parent = domain.partition(".")
    if dot and parent == driver.settings.domain.lower() and _INSTALLATION_LABEL.fullmatch(label):
        return label
    return ""


def listing(driver: SoftLayerDriver) -> list[Instance]:
    """The account's live guests of no installation, `key` '' and their own tags, from one
    paged listing of every guest."""
    return [
        guest_instance(guest, "", every_tag(guest))
        for guest in driver.pages({})
        if not reclaiming(guest) and not managing(driver, guest).get(TAG_INSTALLATION)
    ]


def adopt(driver: SoftLayerDriver, cloud_id: str, tags: Mapping[str, str]) -> Instance:
    """Make the live guest `cloud_id` the installation's: tag it, then name it after the
    key in the installation's subdomain; see the module. A guest adopted already is
    returned after one look."""
    installation = driver.region.installation_id
    check_tags("softlayer", installation, tags)
    guest = _owned_by(driver, _live(driver, cloud_id), tags)
    name = {"hostname": hostname_for(tags[TAG_KEY]), "domain": driver.domain}
    guest_id, wrote = int(guest["id"]), False
    if not _tagged(guest, tags):
        texts = ",".join(_tags_to_set(guest, tags, name))
        _write(driver, "setTags", guest_id, texts)
        wrote = True
    if _name_of(guest) != name:
        _write(driver, "editObject", guest_id, name)
        wrote = True
    if wrote:
        # Read again: another installation's tags that stayed mean it adopted the guest
        # at the same moment.
        guest = _owned_by(driver, _live(driver, cloud_id), tags)
    found = instance_of(guest, installation, driver.domain)
    if found is None or found.key != tags[TAG_KEY] or not _tagged(guest, tags):
        # Changed under us (tags or name edited by hand meanwhile): look again later.
        raise TransientError(
            f"softlayer: guest {cloud_id} does not show its adoption (tags {tags_of(guest)}, "
            f"name {_name_of(guest)})",
            reason="Conflict",
        )
    return found


def _tagged(guest: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    """Whether the guest carries every one of `tags` (as `setTags` writes them)."""
    carried = every_tag(guest)
    return all(carried.get(name) == tag_value(value) for name, value in tags.items())


def _name_of(guest: Mapping[str, Any]) -> dict[str, str]:
    return {
        "hostname": str(guest.get("hostname", "")).lower(),
        "domain": str(guest.get("domain", "")).lower(),
    }


def _tags_to_set(
    guest: Mapping[str, Any], tags: Mapping[str, str], name: Mapping[str, str]
) -> list[str]:
    """The whole tag list of the adopted guest: its own tags (those `tags` name replaced),
    the former name while it is not renamed yet, then `tags`."""
    kept = [text for text in tag_names(guest) if text.partition(":")[0] not in tags]
    former = ".".join(part for part in (guest.get("hostname"), guest.get("domain")) if part)
    remembered = any(text.partition(":")[0] == TAG_ADOPTED_FROM for text in kept)
    if _name_of(guest) != name and former and not remembered:
        kept.append(f"{TAG_ADOPTED_FROM}:{tag_value(former)}")
    return [*kept, *tag_texts(tags)]


def _write(driver: SoftLayerDriver, method: str, guest_id: int, argument: Any) -> None:
    """`SoftLayer_Virtual_Guest::<method>(argument)` of the guest; TerminalError NotFound
    when SoftLayer no longer knows it."""
    try:
        call(
            f"SoftLayer_Virtual_Guest::{method} {guest_id}",
            lambda: driver.client.call("Virtual_Guest", method, argument, id=guest_id),
        )
    except TransientError as error:
        if is_not_found(error):
            raise _not_found(str(guest_id)) from None
        raise


def _live(driver: SoftLayerDriver, cloud_id: str) -> dict[str, Any]:
    """The guest's document; TerminalError NotFound when SoftLayer does not know it (an id
    that is no guest id names none either) or it is being reclaimed."""
    guest = driver.guest(cloud_id) if cloud_id.isdigit() else None
    if guest is None or reclaiming(guest):
        raise _not_found(cloud_id)
    return guest


def _not_found(cloud_id: str) -> TerminalError:
    return TerminalError(
        f"softlayer: guest {cloud_id} does not exist (or is being reclaimed)", reason="NotFound"
    )


def _owned_by(
    driver: SoftLayerDriver, guest: dict[str, Any], tags: Mapping[str, str]
) -> dict[str, Any]:
    """`guest`, unless an installation holds it with other tags than `tags`: another
    installation, or this one under another key (TerminalError ManagedElsewhere)."""
    installation = driver.region.installation_id
    what = f"softlayer: guest {guest.get('id')}"
    refuse_managed(what, managing(driver, guest), installation, tags)
    return guest
