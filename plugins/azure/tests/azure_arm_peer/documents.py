"""The recorded Azure replies, as templates of the documents the peer serves.

Two recordings are used (see `tests/fixtures/SOURCES.md`):

* `azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml`,
  the Azure SDK's own recorded exchange with Resource Manager: the VM PUT
  reply (201, `provisioningState: Creating`), the operation polls
  (`InProgress`, then `Succeeded`), the VM GET with and without
  `$expand=instanceView`, and the list reply;
* `azure_arm/` (libcloud's): the token reply, the VM sizes of a location, an
  instance view, a network interface, the providers document (locations), and
  a list page carrying `nextLink`.

Templates are read once and copied for every use. Documents no recording
shows (a public IP address, an ARM error body, the OIDC discovery document)
are written here in ARM's and Microsoft Entra's documented shapes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

SDK_EXCHANGE = "azure_sdk_python/test_mgmt_compute.test_virtual_machines_operations.yaml"
#: Which interaction of the SDK's recorded exchange each template is (its index).
EXCHANGE = {
    "vm_created": 11,  # PUT virtualMachines/{name}: 201, provisioningState Creating
    "operation_running": 12,  # GET .../operations/{id}: InProgress
    "operation_done": 13,  # GET .../operations/{id}: Succeeded, with endTime
    "vm": 14,  # GET virtualMachines/{name}
    "vm_expanded": 16,  # GET virtualMachines/{name}?$expand=instanceView
    "list": 27,  # GET resourceGroups/{g}/.../virtualMachines
}
_SUB = "azure_arm/_subscriptions_99999999_"
_GROUP = f"{_SUB}resourceGroups_000000_providers_"
ARM = {
    "token": "azure_arm/_77777777_7777_7777_7777_777777777777_oauth2_token.json",
    "providers": f"{_SUB}providers_Microsoft_Compute.json",
    "vm_sizes": f"{_SUB}providers_Microsoft_Compute_locations_eastus_vmSizes.json",
    "list_page": f"{_SUB}providers_Microsoft_Compute_virtualMachines.json",
    "instance_view": f"{_GROUP}Microsoft_Compute_virtualMachines_test_node_1_InstanceView.json",
    "nic": f"{_GROUP}Microsoft_Network_networkInterfaces_test_node_1_nic.json",
}


class Recorded:
    """The recorded documents under a fixtures folder, parsed once."""

    def __init__(self, fixtures: Path) -> None:
        self.fixtures = fixtures
        exchange = yaml.safe_load((fixtures / SDK_EXCHANGE).read_text())["interactions"]
        self._docs: dict[str, Any] = {}
        self.exchange_headers: dict[str, dict[str, list[str]]] = {}
        for name, index in EXCHANGE.items():
            response = exchange[index]["response"]
            self._docs[name] = json.loads(response["body"]["string"])
            self.exchange_headers[name] = response["headers"]
        for name, path in ARM.items():
            self._docs[name] = json.loads((fixtures / path).read_text())

    def __call__(self, name: str) -> Any:
        """A fresh copy of the template `name` (a key of EXCHANGE or ARM)."""
        return copy.deepcopy(self._docs[name])

    def locations(self) -> set[str]:
        """The locations the providers document lists for virtual machines (`eastus`...)."""
        types = self("providers")["resourceTypes"]
        (vms,) = [t for t in types if t["resourceType"] == "virtualMachines"]
        return {name.replace(" ", "").lower() for name in vms["locations"]}

    def vm_sizes(self) -> dict[str, dict[str, Any]]:
        """The recorded VM sizes of a location, by name."""
        return {size["name"]: size for size in self("vm_sizes")["value"]}


def error_body(code: str, message: str, target: str = "") -> dict[str, Any]:
    """ARM's error reply (`CloudError`): `{"error": {"code", "message"[, "target"]}}`."""
    error = {"code": code, "message": message}
    if target:
        error["target"] = target
    return {"error": error}


def statuses(provisioning: str, power: str) -> list[dict[str, Any]]:
    """Instance view statuses, shaped like the recorded instance view's."""
    found = [
        {
            "code": f"ProvisioningState/{provisioning}",
            "level": "Error" if provisioning == "failed" else "Info",
            "displayStatus": f"Provisioning {provisioning}",
        }
    ]
    if power:
        found.append(
            {"code": f"PowerState/{power}", "level": "Info", "displayStatus": f"VM {power}"}
        )
    return found


def public_ip(ident: str, name: str, location: str, address: str, config_id: str) -> dict[str, Any]:
    """A public IP address resource (ARM's shape; no recording shows one)."""
    return {
        "name": name,
        "id": ident,
        "type": "Microsoft.Network/publicIPAddresses",
        "location": location,
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "provisioningState": "Succeeded",
            "ipAddress": address,
            "publicIPAddressVersion": "IPv4",
            "publicIPAllocationMethod": "Static",
            "idleTimeoutInMinutes": 4,
            "ipConfiguration": {"id": config_id},
        },
    }


def openid_configuration(url: str, tenant: str) -> dict[str, Any]:
    """The OIDC discovery document of a tenant (the fields MSAL reads)."""
    base = f"{url}/{tenant}"
    return {
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
        "tenant_region_scope": "EU",
    }


def aad_error(code: str, number: int, description: str) -> dict[str, Any]:
    """A Microsoft Entra token error reply (`invalid_client`, `invalid_scope`...)."""
    return {
        "error": code,
        "error_description": f"AADSTS{number}: {description}",
        "error_codes": [number],
    }
