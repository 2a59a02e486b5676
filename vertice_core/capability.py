"""What a driver can do beyond the mandatory verbs: the capabilities it claims.

A driver lists them in its `DriverInfo.capabilities`; `vertice_drivers.testkit`
checks each claim (a driver that claims one must honour it) and that the verbs
of an unclaimed one refuse. Re-exported by `vertice_core.driver`.
"""

from __future__ import annotations

import enum


class Capability(enum.StrEnum):
    """What a driver can do beyond the mandatory verbs; the testkit checks each claim."""

    #: `stop` and `start` keep the instance (and its disk); without it they raise TerminalError.
    START_STOP = "start_stop"
    #: `reboot` restarts the instance in place.
    REBOOT = "reboot"
    #: Observed instances carry a public IPv4 address.
    PUBLIC_IPV4 = "public_ipv4"
    #: Observed instances carry a private IPv4 address.
    PRIVATE_IPV4 = "private_ipv4"
    #: Ports of the spec are published and reported as `Instance.access`.
    PUBLISH_PORTS = "publish_ports"
    #: An SSH public key in the spec reaches the instance.
    SSH_KEY = "ssh_key"
    #: A root password in the spec reaches the instance.
    ROOT_PASSWORD = "root_password"  # noqa: S105 -- a name, not a secret
    #: The cloud itself deduplicates creates by a token (not only the driver's lookup).
    IDEMPOTENCY_TOKEN = "idempotency_token"  # noqa: S105 -- a name, not a secret
    #: `resize` moves an instance to another flavor in place, keeping its disk and
    #: identity; without it `resize` raises TerminalError.
    RESIZE = "resize"
    #: `snapshot` makes an image of an instance's disk that `create` launches from
    #: (`InstanceSpec.image_id`); `snapshots` lists them, `delete_snapshot` deletes one.
    #: Without it the three raise TerminalError.
    SNAPSHOT = "snapshot"
    #: `hard_reboot` power-cycles an instance without asking its system to shut down
    #: (what a hung guest needs); without it `hard_reboot` raises TerminalError.
    HARD_REBOOT = "hard_reboot"
    #: `hard_stop` powers an instance off (or kills it) without asking its system to
    #: shut down; without it `hard_stop` raises TerminalError.
    HARD_STOP = "hard_stop"
    #: `suspend` saves a running instance's memory and stops it; `start` resumes it where
    #: it was, without booting it again. Observed, a suspended instance is `STOPPED`.
    #: Without it `suspend` raises TerminalError.
    SUSPEND = "suspend"
    #: `unmanaged` lists the region's instances no vertice installation manages, and
    #: `adopt` puts this installation's tags on one without restarting it (`vertice
    #: adopt`). Without it both raise TerminalError.
    ADOPT = "adopt"
    #: `create_disk` makes a block-storage disk of its own, `attach_disk` and
    #: `detach_disk` plug it into an instance and out, `resize_disk` grows it,
    #: `delete_disk` deletes it and `disks` lists them (`vertice_core.driver_disks`).
    #: Without it the six raise TerminalError.
    DISKS = "disks"
    #: `watch` follows the cloud's event stream and calls back as soon as an instance of
    #: this installation dies, stops, is removed or otherwise changes state, so that the
    #: reconciler repairs drift at once instead of at its next resync. Without it `watch`
    #: raises TerminalError (the region is then only observed at each resync).
    WATCH = "watch"
