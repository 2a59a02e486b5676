"""Test support for the azure driver: a local Azure Resource Manager peer, over HTTPS.

No emulator of Azure exists, so this is one, made for the plugin's own tests
(`plugins/azure/conftest.py`). It lives beside them, outside the driver's
package, so it is not part of the wheel a user installs:

* `tls`: a self-signed certificate for 127.0.0.1 (made with `cryptography`),
  because azure-core sends bearer tokens over TLS only;
* `documents`: the recorded replies (`tests/fixtures/azure_arm/` and the
  recorded SDK exchange in `tests/fixtures/azure_sdk_python/`) used as
  templates of every document the peer serves;
* `arm`: the model: virtual machines with their NICs and public IPs,
  provisioning and power states that move with time, long-running operations
  (InProgress -> Succeeded or Failed), quotas and validation as ARM does them;
* `peer`: the HTTPS server: the ARM paths azure-mgmt-compute and
  azure-mgmt-network call, the Microsoft Entra token endpoint (OIDC discovery
  and client credentials), bearer-token checks, `nextLink` paging, and faults
  on cue.

It needs only the standard library, PyYAML and `cryptography` (dependencies of
vertice), and never imports `azure.*`.
"""
