"""The account the tests' peer is set up with, and the peer made ready for it.

The subscription and tenant are those of the recorded libcloud files
(`azure_arm/_subscriptions_99999999_...`, `_77777777_..._oauth2_token.json`).
"""

from __future__ import annotations

from pathlib import Path

from azure_arm_peer.peer import AzurePeer

SUBSCRIPTION = "99999999-9999-9999-9999-999999999999"
TENANT = "77777777-7777-7777-7777-777777777777"
CLIENT = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
SECRET = "vertice-tests-client-secret"
GROUP = "vertice-rg"
NETWORK = "vertice-net"
SUBNET = "default"
LOCATION = "eastus"


def by_hand(peer: AzurePeer, name: str, **tags: str) -> str:
    """A VM made in the peer as an operator would, not through vertice: running at once,
    in the account's group and subnet, with no vertice tags but `owner: ops` (and
    `tags`). Its name, which is its cloud id."""
    with peer.lock:
        subnet = peer.arm.add_subnet(GROUP, NETWORK, SUBNET)
        peer.arm.plant(GROUP, name, {"owner": "ops", **tags}, LOCATION, subnet)
    return name


def account_peer(fixtures: Path, cert: Path, key: Path) -> AzurePeer:
    """A peer (not started) knowing the service principal and the subnet above."""
    peer = AzurePeer(fixtures, cert, key, SUBSCRIPTION)
    peer.principal(TENANT, CLIENT, SECRET)
    peer.arm.add_subnet(GROUP, NETWORK, SUBNET)
    return peer
