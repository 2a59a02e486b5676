"""Test support for the openstack driver: a local Keystone + Nova + Glance peer.

No emulator of OpenStack runs offline without its services, so this is one,
made for the plugin's own tests (`tests/conftest.py`). It lives beside them,
outside the driver's package, so it is not part of the wheel a user installs:

* `documents`: the recorded API samples of Keystone, Nova and Glance
  (`tests/fixtures/`, see SOURCES.md there) used as templates of every document
  the peer serves;
* `cloud`: the model: one project's servers, whose states move with time as
  Nova's do (BUILD -> ACTIVE or ERROR with a fault, stop, start, reboot,
  suspend, resume, delete), key pairs, flavors, images, the instance quota, and Nova's checks;
* `day2`: the day-2 actions on that model: Nova's resize and confirmResize,
  createImage (a Glance snapshot image), and Glance's image show and delete;
* `peer`: the HTTP server: version discovery, Keystone v3 tokens and catalog,
  the Nova and Glance paths openstacksdk calls, token checks, paging, and
  faults on cue.

It needs only the standard library and attrs, and never imports openstacksdk
or keystoneauth1: the real SDK talks to it unmodified.
"""

from openstack_peer.cloud import Cloud, NovaError, Server
from openstack_peer.day2 import OperatedCloud
from openstack_peer.documents import Recorded
from openstack_peer.peer import (
    APP_CRED_ID,
    APP_CRED_SECRET,
    DOMAIN_NAME,
    PASSWORD,
    PROJECT_ID,
    PROJECT_NAME,
    REGIONS,
    USERNAME,
    Call,
    Fault,
    OpenStackPeer,
)

__all__ = [
    "APP_CRED_ID",
    "APP_CRED_SECRET",
    "DOMAIN_NAME",
    "PASSWORD",
    "PROJECT_ID",
    "PROJECT_NAME",
    "REGIONS",
    "USERNAME",
    "Call",
    "Cloud",
    "Fault",
    "NovaError",
    "OpenStackPeer",
    "OperatedCloud",
    "Recorded",
    "Server",
]
