"""The configuration file: its keys become the `VERTICE_*` variables the parsers read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vertice_core.config import Config
from vertice_core.reconcile.settings import ReconcilerSettings
from vertice_core.settings_file import BY_VARIABLE, SettingsFileError, environ, markdown_table

ROOT = Path(__file__).resolve().parents[2]
#: Variables that are not the installation's settings: the client's, and the file's own.
NOT_SETTINGS = {"VERTICE_URL", "VERTICE_TOKEN", "VERTICE_CONFIG"}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "vertice.toml"
    path.write_text(text)
    return str(path)


def test_every_key_becomes_the_string_its_variable_would_hold(tmp_path):
    path = write(
        tmp_path,
        """
home = "/srv/vertice"
max_replicas = 7
[api]
bind = "0.0.0.0:9000"
workers = 3
access_log = true
[log]
format = "json"
[reconcile]
resync = 12.5
workers = 16
[router]
type = "caddy"
settings = { admin = "http://127.0.0.1:2019" }
[notify.webhook]
url = "https://hooks.example.com/x"
events = ["Failed", "GhostRemoved"]
""",
    )
    merged, _ = environ(path, {})
    assert merged["VERTICE_ACCESS_LOG"] == "1"
    assert merged["VERTICE_ROUTER_SETTINGS"] == '{"admin": "http://127.0.0.1:2019"}'
    assert merged["VERTICE_WEBHOOK_EVENTS"] == "Failed,GhostRemoved"
    config = Config.from_env(merged)
    assert str(config.home) == "/srv/vertice"
    assert config.max_replicas == 7
    assert (config.server.bind, config.server.workers) == ("0.0.0.0:9000", 3)
    assert config.server.access_log and config.server.log_format == "json"
    assert config.router_settings == {"admin": "http://127.0.0.1:2019"}
    settings = ReconcilerSettings.from_env(merged)
    assert (settings.resync, settings.workers) == (12.5, 16)


def test_the_environment_overrides_the_file_and_an_empty_variable_does_not(tmp_path):
    path = write(tmp_path, "[api]\nworkers = 3\nbind = '0.0.0.0:1'\n")
    merged, settings = environ(path, {"VERTICE_WORKERS": "5", "VERTICE_BIND": ""})
    server = Config.from_env(merged).server
    assert (server.workers, server.bind) == (5, "0.0.0.0:1")
    assert settings.overridden == {"VERTICE_WORKERS"}


def test_a_bad_value_from_the_file_is_named_by_its_key_and_from_the_environment_by_its_variable(
    tmp_path,
):
    path = write(tmp_path, "max_replicas = 'many'\n[api]\nworkers = 'x'\n")
    merged, settings = environ(path, {"VERTICE_MAX_REPLICAS": "lots"})
    with pytest.raises(ValueError, match="VERTICE_MAX_REPLICAS") as raised:
        Config.from_env(merged)
    assert settings.explain(str(raised.value)).startswith("VERTICE_MAX_REPLICAS must be")
    merged.pop("VERTICE_MAX_REPLICAS")
    with pytest.raises(ValueError, match="VERTICE_WORKERS") as raised:
        Config.from_env(merged)
    assert settings.explain(str(raised.value)) == (
        f"{path}: [api] workers must be a positive integer, not 'x'"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[api]\nworkerz = 2\n", "unknown key [api] workerz"),
        ("[apy]\nworkers = 2\n", "unknown key apy"),
        ("[api]\nworkers = [2]\n", "[api] workers must be a number, not a list"),
        ("[api]\naccess_log = 'yes'\n", "[api] access_log must be true or false, not 'yes'"),
        ("home = 5\n", "home must be a string, not a number"),
        ("[api\n", "invalid TOML"),
    ],
)
def test_a_file_that_cannot_be_used_is_one_message_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsFileError) as raised:
        environ(path, {})
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_every_variable_the_code_reads_has_a_key_in_the_file():
    """A setting added as a variable only would be missing from the file and its table."""
    read = set()
    for package in ("vertice_core", "vertice_api", "vertice_notify", "vertice_drivers"):
        for source in (ROOT / package).rglob("*.py"):
            read.update(re.findall(r"""f?["'](VERTICE_[A-Z0-9_]*)""", source.read_text()))
    assert "VERTICE_WEBHOOK_URL" in read and "VERTICE_RECONCILE_" in read
    missing = {
        name
        for name in read - NOT_SETTINGS
        if name not in BY_VARIABLE
        and not any(v.startswith(name if name.endswith("_") else f"{name}_") for v in BY_VARIABLE)
    }
    assert not missing, f"variables without a key in vertice_core.settings_file.KEYS: {missing}"


def test_the_documented_table_is_the_one_the_code_makes():
    assert markdown_table() in (ROOT / "docs" / "configuration.md").read_text()


def test_the_token_cache_is_seconds_of_0_or_more_from_the_file_or_the_environment(tmp_path):
    assert Config.from_env({}).token_cache_seconds == 5.0
    assert Config.from_env({"VERTICE_TOKEN_CACHE_SECONDS": "0"}).token_cache_seconds == 0.0
    merged, _ = environ(write(tmp_path, "[api]\ntoken_cache_seconds = 0.5\n"), {})
    assert Config.from_env(merged).token_cache_seconds == 0.5


@pytest.mark.parametrize("text", ["-1", "soon", "nan", "inf"])
def test_a_bad_token_cache_is_one_line_naming_its_variable_or_its_key(tmp_path, text):
    with pytest.raises(ValueError, match="VERTICE_TOKEN_CACHE_SECONDS") as raised:
        Config.from_env({"VERTICE_TOKEN_CACHE_SECONDS": text})
    assert str(raised.value) == (
        f"VERTICE_TOKEN_CACHE_SECONDS must be a number of 0 or more, not {text!r}"
    )
    path = write(tmp_path, f"[api]\ntoken_cache_seconds = {text!r}\n")
    merged, settings = environ(path, {})
    with pytest.raises(ValueError, match="VERTICE_TOKEN_CACHE_SECONDS") as raised:
        Config.from_env(merged)
    assert settings.explain(str(raised.value)) == (
        f"{path}: [api] token_cache_seconds must be a number of 0 or more, not {text!r}"
    )
