"""Sealing secrets: the key check made without importing cryptography, and round trips."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from vertice_core.config import Config
from vertice_core.crypto import SecretBox, load_key, new_key, same_digest, token_digest
from vertice_core.errors import ConfigurationError


def test_a_new_key_is_a_fernet_key_and_seals_what_fernet_opens():
    key = new_key()
    sealed = SecretBox(key).seal("hunter2")
    assert "hunter2" not in sealed
    assert Fernet(key).decrypt(sealed.encode()) == b"hunter2"
    assert SecretBox(key).open(sealed) == "hunter2"


@pytest.mark.parametrize(
    "key",
    ["", "short", "x" * 44, "QUJD" * 10 + "QQ==", b"\xff" * 44],
    ids=["empty", "short", "not-base64-of-32", "31-bytes", "binary"],
)
def test_a_malformed_key_is_refused_up_front(key):
    with pytest.raises(ConfigurationError, match="not a valid Fernet key"):
        SecretBox(key)


def test_a_secret_sealed_under_another_key_names_the_cause():
    sealed = SecretBox(new_key()).seal_json({"secret_access_key": "s"})
    with pytest.raises(ConfigurationError, match="secret key changed"):
        SecretBox(new_key()).open_json(sealed)


def test_empty_objects_seal_to_nothing():
    box = SecretBox(new_key())
    assert box.seal_json({}) == ""
    assert box.open_json("") == {}
    assert box.open_json(box.seal_json({"a": 1})) == {"a": 1}


def test_cryptography_is_imported_only_when_a_secret_is_used():
    code = (
        "import sys; from vertice_core.crypto import SecretBox, new_key; "
        "box = SecretBox(new_key()); print('cryptography' in sys.modules); "
        "box.seal('x'); print('cryptography' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_token_digests_compare_equal_only_for_the_same_token():
    assert same_digest(token_digest("vt_a"), token_digest("vt_a"))
    assert not same_digest(token_digest("vt_a"), token_digest("vt_b"))


def test_the_key_file_is_made_once_and_never_seen_half_written(tmp_path):
    # Processes starting together each make the key on first use; one killed while
    # creating it once left an empty file, and every later start failed.
    config = Config(home=tmp_path / "home", database_url="sqlite://")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_key(config), range(32)))
    (key,) = keys
    assert config.key_file.read_text() == key + "\n"
    assert sorted(p.name for p in config.key_file.parent.iterdir()) == ["secret.key"]
    SecretBox(key).seal("works")
