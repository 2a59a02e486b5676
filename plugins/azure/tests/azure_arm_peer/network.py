"""The NICs and public IPs the peer's Compute makes from a VM's `networkInterfaceConfigurations`.

As Azure does with `networkApiVersion` 2020-11-01 and later: each
configuration becomes a network interface named after it (a copy of the
recorded `..._networkInterfaces_test_node_1_nic.json` with its private
address), each `publicIPAddressConfiguration` a Standard static public IP,
and the VM's `networkProfile.networkInterfaces` references them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure_arm_peer.documents import Recorded, public_ip


class Addresses:
    """Private and public IPv4 addresses, a new pair for each IP configuration."""

    def __init__(self) -> None:
        self.serial = 0

    def next(self) -> tuple[str, str]:
        """(private, public) addresses not given out before."""
        self.serial += 1
        n = self.serial
        return f"10.0.{n // 250}.{n % 250 + 4}", f"20.{n // 250 + 1}.{n % 250}.{n * 7 % 250 + 1}"


def make_network(
    recorded: Recorded,
    rid: Callable[[str, str], str],
    addresses: Addresses,
    *,
    vm_id: str,
    location: str,
    profile: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(the VM's network profile, its NICs, its public IPs) for `profile`.

    `rid(kind, name)` is the resource id of a `Microsoft.Network/<kind>` in the VM's group.
    """
    refs: list[dict[str, Any]] = []
    nics: list[dict[str, Any]] = []
    ips: list[dict[str, Any]] = []
    for config in profile.get("networkInterfaceConfigurations") or []:
        nic = recorded("nic")  # the recorded network interface
        nic_id = rid("networkInterfaces", config["name"])
        nic.update(name=config["name"], id=nic_id, location=location, tags={})
        template = nic["properties"]["ipConfigurations"][0]
        ip_configs = []
        for ip in config["properties"]["ipConfigurations"]:
            private, public = addresses.next()
            config_id = f"{nic_id}/ipConfigurations/{ip['name']}"
            props = {
                **template["properties"],
                "privateIPAddress": private,
                "privateIPAddressVersion": "IPv4",
                "subnet": ip["properties"]["subnet"],
                "primary": ip["properties"].get("primary", True),
            }
            wanted = ip["properties"].get("publicIPAddressConfiguration")
            if wanted:
                ip_id = rid("publicIPAddresses", wanted["name"])
                ips.append(public_ip(ip_id, wanted["name"], location, public, config_id))
                props["publicIPAddress"] = {"id": ip_id}
            ip_configs.append(
                {**template, "name": ip["name"], "id": config_id, "properties": props}
            )
        nic["properties"]["ipConfigurations"] = ip_configs
        nic["properties"]["virtualMachine"] = {"id": vm_id}
        nics.append(nic)
        primary = bool(config["properties"].get("primary", not refs))
        refs.append({"id": nic_id, "properties": {"primary": primary, "deleteOption": "Delete"}})
    return {**profile, "networkInterfaces": refs}, nics, ips


def plant_body(name: str, location: str, tags: dict[str, str], subnet_id: str) -> dict[str, Any]:
    """The body of a VM someone made behind vertice's back (the recorded image and size)."""
    return {
        "location": location,
        "tags": tags,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_A1"},
            "storageProfile": {
                "imageReference": {
                    "publisher": "Canonical",
                    "offer": "UbuntuServer",
                    "sku": "16.04.0-LTS",
                    "version": "latest",
                },
                "osDisk": {"name": f"{name}-osdisk", "createOption": "FromImage"},
            },
            "osProfile": {
                "computerName": name,
                "adminUsername": "someone",
                "adminPassword": "Someone-Passw0rd",
            },
            "networkProfile": {
                "networkApiVersion": "2020-11-01",
                "networkInterfaceConfigurations": [
                    {
                        "name": f"{name}-nic",
                        "properties": {
                            "primary": True,
                            "ipConfigurations": [
                                {"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}
                            ],
                        },
                    }
                ],
            },
        },
    }
