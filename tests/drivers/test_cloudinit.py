"""The cloud-config every VM driver sends: launch credential, node_exporter when asked."""

from __future__ import annotations

import yaml

from vertice_drivers.cloudinit import EXPORTER_PACKAGE, cloud_config
from vertice_drivers.testkit import TEST_PASSWORD, TEST_PUBLIC_KEY, default_spec


def test_nothing_to_say_is_no_user_data():
    assert cloud_config(default_spec("vti-1", "asm-1-1")) is None


def test_ssh_key_and_root_password():
    text = cloud_config(
        default_spec(
            "vti-1", "asm-1-1", ssh_public_key=TEST_PUBLIC_KEY, root_password=TEST_PASSWORD
        )
    )
    assert text is not None
    assert text.startswith("#cloud-config\n")
    config = yaml.safe_load(text)
    assert config["ssh_authorized_keys"] == [TEST_PUBLIC_KEY]
    assert config["chpasswd"]["users"] == [
        {"name": "root", "password": TEST_PASSWORD, "type": "text"}
    ]


def test_node_exporter_on_the_asked_port():
    config = yaml.safe_load(cloud_config(default_spec("vti-1", "asm-1-1", metrics_port=9200)) or "")
    assert config["packages"] == [EXPORTER_PACKAGE]
    (defaults,) = config["write_files"]
    assert "--web.listen-address=:9200" in defaults["content"]
    assert ["systemctl", "restart", EXPORTER_PACKAGE] in config["runcmd"]
