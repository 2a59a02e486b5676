"""cloud-init user data for VM drivers: the launch credential, node_exporter, a program.

Every VM cloud vertice drives boots images with cloud-init (AWS user data,
GCE and Azure custom data, OpenNebula's context). `cloud_config(spec)` writes
one `#cloud-config` document that:

* authorises the spec's SSH public key for root (`ssh_authorized_keys`);
* sets the root password when the launch credential is one (`chpasswd`);
* when the plan asks for metrics (`InstanceSpec.metrics_port`, from a plan's
  `::metrics` characteristic or the assembly's `metrics_port`), installs
  Prometheus' node_exporter from the distribution's packages, makes it listen
  on that port and starts it, so `GET /v3/sd/prometheus` can point Prometheus
  at it;
* when the spec carries a program (a source-built assembly in a VM region),
  fetches its exact commit, prepares its recipe and runs it as the systemd
  unit `vertice-app.service` (`vertice_drivers.vmprogram`).

It does not carry the spec's `command`, `args` or `env`: user data is readable
by every process of the VM (the metadata service) and shown in cloud consoles,
no place for the secret values `env` may hold; VM drivers ignore them
(docs/writing-a-driver.md).
"""

from __future__ import annotations

import json
from typing import Any

from vertice_core.driver import InstanceSpec
from vertice_drivers import vmprogram

#: node_exporter as Debian and Ubuntu package it.
EXPORTER_PACKAGE = "prometheus-node-exporter"
EXPORTER_DEFAULTS = "/etc/default/prometheus-node-exporter"


def cloud_config(spec: InstanceSpec) -> str | None:
    """The `#cloud-config` user data of `spec`, or None when it needs none."""
    config: dict[str, Any] = {}
    if spec.ssh_public_key:
        config["ssh_authorized_keys"] = [spec.ssh_public_key.strip()]
        config["disable_root"] = False
    if spec.root_password:
        config["chpasswd"] = {
            "expire": False,
            "users": [{"name": "root", "password": spec.root_password, "type": "text"}],
        }
        config["ssh_pwauth"] = True
    if spec.metrics_port:
        config["packages"] = [EXPORTER_PACKAGE]
        config["write_files"] = [
            {
                "path": EXPORTER_DEFAULTS,
                "content": f'ARGS="--web.listen-address=:{spec.metrics_port}"\n',
            }
        ]
        config["runcmd"] = [
            ["systemctl", "enable", EXPORTER_PACKAGE],
            ["systemctl", "restart", EXPORTER_PACKAGE],
        ]
    if spec.program is not None:  # a source-built assembly's: fetched and run at boot
        for key, values in vmprogram.parts(spec.program).items():
            config[key] = [*config.get(key, []), *values]
    if not config:
        return None
    # JSON is YAML: no YAML library is needed to write a cloud-config document.
    return "#cloud-config\n" + json.dumps(config, indent=2, sort_keys=True) + "\n"
