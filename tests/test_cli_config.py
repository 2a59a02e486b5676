"""`--config PATH` / `VERTICE_CONFIG` on the server commands: a bad file is one line, status 2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from vertice_testing.server import vertice_command


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VERTICE_")}
    clean["VERTICE_HOME"] = str(tmp_path / "home")
    return subprocess.run(
        [str(vertice_command()), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )


#: A bad file, and the message after `error: vertice.toml: `.
BAD = [
    ("[api]\nworkers = 'x'\n", "[api] workers must be a positive integer, not 'x'"),
    ("[api]\nworkerz = 2\n", "unknown key [api] workerz"),
    ("[reconcile]\nresync = 'soon'\n", "[reconcile] resync must be a number of 0 or more, not 'soon'"),  # noqa: E501
    ("[log]\nformat = 'xml'\n", "[log] format must be one of text, json, not 'xml'"),
    ("[api]\ntoken_cache_seconds = -1\n", "[api] token_cache_seconds must be a number of 0 or more, not '-1'"),  # noqa: E501
    ("[api\n", "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 5)"),  # noqa: E501
]  # fmt: skip


#: The server commands that read the file (each meets one of the bad files, the first all).
COMMANDS = [["serve", "--bind", "127.0.0.1:1"], ["reconcile"], ["init"], ["db", "current"]]
CASES = [(*BAD[0], command) for command in COMMANDS[1:]] + [
    (*bad, COMMANDS[i % len(COMMANDS)]) for i, bad in enumerate(BAD)
]


@pytest.mark.parametrize(("text", "message", "command"), CASES)
def test_a_bad_configuration_file_is_one_line_naming_its_key_and_status_2(
    tmp_path, text, message, command
):
    (tmp_path / "vertice.toml").write_text(text)
    done = run(tmp_path, command[0], "--config", "vertice.toml", *command[1:])
    assert (done.returncode, done.stderr) == (2, f"error: vertice.toml: {message}\n")


def test_an_unreadable_file_named_by_vertice_config_is_one_line(tmp_path):
    done = run(tmp_path, "reconcile", VERTICE_CONFIG="missing.toml")
    assert done.returncode == 2
    assert done.stderr == "error: missing.toml: cannot be read: No such file or directory\n"


def test_the_flag_overrides_vertice_config_and_the_environment_overrides_the_file(tmp_path):
    (tmp_path / "bad.toml").write_text("[api]\nworkers = 'x'\n")
    (tmp_path / "good.toml").write_text(f"database_url = 'sqlite:///{tmp_path}/other.db'\n")
    done = run(tmp_path, "db", "--config", "good.toml", "upgrade", VERTICE_CONFIG="bad.toml")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "other.db").exists() and not (tmp_path / "home" / "vertice.db").exists()
    done = run(tmp_path, "db", "current", VERTICE_CONFIG="bad.toml", VERTICE_WORKERS="3")
    assert done.returncode == 0, done.stderr
    done = run(tmp_path, "db", "current", VERTICE_CONFIG="good.toml", VERTICE_WORKERS="x")
    assert done.returncode == 2
    assert done.stderr == "error: VERTICE_WORKERS must be a positive integer, not 'x'\n"


@pytest.mark.parametrize("command", [["serve", "--bind", "127.0.0.1:1"], ["db", "current"]])
def test_a_bad_token_cache_from_the_environment_is_one_line_naming_it(tmp_path, command):
    done = run(tmp_path, *command, VERTICE_TOKEN_CACHE_SECONDS="soon")
    assert (done.returncode, done.stderr) == (
        2,
        "error: VERTICE_TOKEN_CACHE_SECONDS must be a number of 0 or more, not 'soon'\n",
    )


#: Bad notifier settings, and the one line that refuses them (issue 16: a traceback as the
#: plugin loaded, in every worker, and the notifier left out).
BAD_NOTIFIERS = [
    ({"VERTICE_WEBHOOK_URL": "http://127.0.0.1:1/hook", "VERTICE_WEBHOOK_TIMEOUT": "soon"},
     "VERTICE_WEBHOOK_TIMEOUT must be a positive number, not 'soon'"),
    ({"VERTICE_WEBHOOK_TIMEOUT": "0"}, "VERTICE_WEBHOOK_TIMEOUT must be a positive number, not '0'"),  # noqa: E501
    ({"VERTICE_SMTP_HOST": "localhost", "VERTICE_SMTP_PORT": "smtp"},
     "VERTICE_SMTP_PORT must be a port number from 1 to 65535, not 'smtp'"),
    ({"VERTICE_SMTP_PORT": "99999"}, "VERTICE_SMTP_PORT must be a port number from 1 to 65535, not '99999'"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize("command", [["serve", "--bind", "127.0.0.1:1"], ["reconcile"]])
@pytest.mark.parametrize(("env", "message"), BAD_NOTIFIERS)
def test_a_bad_notifier_setting_stops_the_start_with_one_line_naming_it(
    tmp_path, command, env, message
):
    done = run(tmp_path, *command, **env)
    assert (done.returncode, done.stderr) == (2, f"error: {message}\n")


def test_a_bad_notifier_setting_from_the_file_names_its_key(tmp_path):
    (tmp_path / "vertice.toml").write_text("[notify.smtp]\nhost = 'localhost'\nport = 0\n")
    done = run(tmp_path, "serve", "--config", "vertice.toml", "--bind", "127.0.0.1:1")
    assert (done.returncode, done.stderr) == (
        2,
        "error: vertice.toml: [notify.smtp] port must be a port number from 1 to 65535, not '0'\n",
    )


def test_the_serving_settings_given_as_variables_read_back_the_same():
    """`vertice serve --api-only` hands its settings to the API's master in the environment
    (`ServerSettings.environ`): every one of them, non-defaults included, reads back."""
    from vertice_core.config import Config, ServerSettings

    given = ServerSettings(bind="127.0.0.1:9", workers=5, access_log=True, log_level="debug",
                           log_format="json")  # fmt: skip
    assert Config.from_env({"VERTICE_HOME": "/nowhere", **given.environ()}).server == given
    assert Config.from_env({"VERTICE_HOME": "/nowhere",
                            **ServerSettings().environ()}).server == ServerSettings()  # fmt: skip
