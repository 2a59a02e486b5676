"""The client's basics: login and its config file, catalog tables, errors, help, completion.

A real `vertice serve` serves the module. Errors must be lines on standard
error (`error: ...`) with a non-zero exit, never a traceback, whether the API
refused (422, 401, 404), nobody answered, or the input was wrong.
"""

from __future__ import annotations

import http.server
import json
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from vertice_api.cli import main
from vertice_api.cli.connect import checked_url, explain
from vertice_api.cli.output import age, describe, parse_time, ready, table
from vertice_api.client import ApiError
from vertice_drivers.ports import free_port
from vertice_testing.cli import VerticeCli
from vertice_testing.server import LiveServer, running_server

PLAN = "/v3/plan/1_virtualmachine_ubuntu"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-basics")) as live:
        yield live


@pytest.fixture
def anonymous(server: LiveServer, tmp_path: Path) -> VerticeCli:
    """A user with no VERTICE_URL nor VERTICE_TOKEN: only a config file can help."""
    return VerticeCli(None, None, tmp_path / "config")


def config_file(cli: VerticeCli) -> Path:
    return cli.config_home / "vertice" / "config.json"


# -- login and the config file --


def test_login_checks_the_token_and_saves_it_for_you_alone(anonymous, server):
    done = anonymous.run("login", "--url", server.url + "/", "--token", server.token)
    assert done.returncode == 0, done.stderr
    path = config_file(anonymous)
    assert done.stdout == f"logged in to {server.url} as admin; saved to {path}\n"
    assert server.token not in done.stdout + done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"url": server.url, "token": server.token}
    plans = anonymous.run("plans")
    assert plans.returncode == 0, plans.stderr
    assert "1_virtualmachine_ubuntu" in plans.stdout


def test_login_prompts_for_the_token_without_echoing_it(anonymous, server):
    result = anonymous("login", "--url", server.url, stdin=f"{server.token}\n")
    assert "Token: \n" in result.output
    assert server.token not in result.output
    assert json.loads(config_file(anonymous).read_text())["token"] == server.token


def test_a_wrong_token_is_not_saved(anonymous, server):
    anonymous("login", "--url", server.url, "--token", server.token)
    saved = config_file(anonymous).read_text()
    result = anonymous("login", "--url", server.url, "--token", "vt_wrong", code=1)
    assert result.stderr == "error: not logged in: the token is unknown, revoked or expired\n"
    assert config_file(anonymous).read_text() == saved


def test_the_saved_token_goes_only_to_its_url(anonymous, server):
    anonymous("login", "--url", server.url, "--token", server.token)
    other = f"http://127.0.0.1:{free_port()}"
    result = anonymous("plans", "--url", other, code=1)
    assert result.stderr == (
        f"error: no token for {other}: pass --token, set VERTICE_TOKEN, or run `vertice login`\n"
    )


def test_options_and_environment_win_over_the_config_file(anonymous, server):
    anonymous("login", "--url", server.url, "--token", server.token)
    result = anonymous("plans", VERTICE_TOKEN="vt_wrong", code=1)
    assert "the token is unknown, revoked or expired" in result.stderr
    anonymous("plans", "--token", server.token, VERTICE_TOKEN="vt_wrong")


def test_logout_forgets(anonymous, server):
    anonymous("login", "--url", server.url, "--token", server.token)
    assert anonymous("logout").stdout == f"removed {config_file(anonymous)}\n"
    result = anonymous("plans", code=1)
    assert (
        result.stderr == "error: no API URL: pass --url, set VERTICE_URL, or run `vertice login`\n"
    )
    assert anonymous("logout").stdout == "not logged in\n"


def test_a_corrupt_config_file_is_one_line(anonymous):
    config_file(anonymous).parent.mkdir(parents=True)
    config_file(anonymous).write_text("{not json")
    result = anonymous("plans", code=1)
    assert result.stderr.startswith(f"error: cannot read {config_file(anonymous)}")
    assert len(result.stderr.splitlines()) == 1


# -- the catalog --


def test_plans_regions_and_flavors_are_tables(cli):
    plans = cli("plans").stdout.splitlines()
    assert plans[0].split() == ["NAME", "DESCRIPTION"]
    assert [line.split()[0] for line in plans[1:]] == [
        "1_virtualmachine_ubuntu",
        "2_application_java",
        "3_webserver_apache",
        "4_webserver_static",
        "5_application_python",
        "6_database_postgresql",
        "7_cache_redis",
    ]
    regions = cli("regions").stdout.splitlines()
    assert regions[0].split() == ["NAME", "CLOUD", "TYPE", "PROVIDER", "REGION", "DESCRIPTION"]
    assert regions[1].split()[:2] == ["local", "sim"]
    flavors = cli("flavors", "--region", "local").stdout.splitlines()
    headers = ["NAME", "CPU", "RAM", "DISK", "REGIONS", "PRICE/HOUR", "STOPPED/HOUR"]
    assert flavors[0].split() == headers
    assert {line.split()[0] for line in flavors[1:]} == {"small", "medium", "large"}
    as_json = json.loads(cli("flavors", "-o", "json").stdout)
    assert {f["name"] for f in as_json} == {"small", "medium", "large"}


# -- errors --


def test_a_422_is_one_line_with_the_field_paths(cli, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "name": "Bad Name!",
                "plan_uri": PLAN,
                "region": "local",
                "flavor": "small",
                "colour": "red",
            }
        )
    )
    result = cli("apply", "-f", str(path), code=1)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"error: Bad Name! ({path}, document 1): 422 Invalid input: $.name: 'Bad Name!' is "
        "not a valid"
    )
    assert "; $.colour: unknown field" in line
    flavors = cli("flavors", "--region", "nowhere", code=1)
    assert flavors.stderr == (
        "error: 422 Invalid input: ?region: there is no region named 'nowhere'\n"
    )


def test_one_bad_declaration_among_several_does_not_stop_the_others(cli, tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(
        textwrap.dedent(f"""\
        - {{name: mixed-1, plan_uri: {PLAN}, region: local, flavor: small}}
        - {{name: mixed-2, plan_uri: {PLAN}, region: local, flavor: huge}}
    """)
    )
    result = cli("apply", "-f", str(path), code=1)
    assert result.stdout.startswith("mixed-1 created (asm-")
    assert result.stderr.splitlines() == [
        f"error: mixed-2 ({path}, document 2): 422 Invalid input: $.flavor: there is no "
        "flavor named 'huge'",
        "error: 1 of 2 declarations failed",
    ]
    cli("delete", "mixed-1")


BAD_FILES = [
    ("d.json", '{"name": ', "not valid JSON: Expecting value at line 1 column 10"),
    ("d.json", "[1, 2]", "declaration 1 is not an object of attributes"),
    ("d.yaml", "# nothing\n", "holds no declaration"),
    (
        "d.yaml",
        "- name: a\n  b: [\n",
        "not valid YAML: did not find expected node content at line 3 column 1",  # libyaml's words
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_FILES)
def test_a_bad_file_is_one_line(cli, tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    separator = " " if message.startswith("holds") else ": "
    assert cli("apply", "-f", str(path), code=1).stderr == f"error: {path}{separator}{message}\n"


def test_yaml_errors_and_values_json_lacks_are_one_line(cli):
    broken = cli("apply", "-f", "-", stdin="name: [a\n", code=1)
    assert broken.stderr.startswith("error: standard input: not valid YAML: ")
    assert "at line 2 column 1" in broken.stderr
    dated = cli("apply", "-f", "-", stdin="name: a\nwhen: 2024-01-01\n", code=1)
    assert "holds a value JSON cannot represent" in dated.stderr


def test_an_unknown_assembly(cli):
    for args in (["describe", "assembly", "nope"], ["stop", "nope"], ["events", "nope"]):
        assert cli(*args, code=1).stderr == "error: there is no assembly named 'nope'\n"


def test_an_unreachable_api_is_one_line(cli):
    url = f"http://127.0.0.1:{free_port()}"
    done = cli.run("get", "assemblies", VERTICE_URL=url)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot reach {url}: ")
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_a_wrong_token_is_one_line(cli):
    done = cli.run("plans", VERTICE_TOKEN="vt_not-a-token")
    assert done.returncode == 1
    assert done.stderr == (
        "error: the token is unknown, revoked or expired "
        "(check --token, VERTICE_TOKEN or `vertice login`)\n"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("127.0.0.1:8080", "error: the API URL must be http://HOST[:PORT] or https://..., not "),
        ("http://[::1", "error: the API URL 'http://[::1' is not valid (Invalid IPv6 URL)"),
        ("http://h:99999", "error: the API URL 'http://h:99999' is not valid"),
    ],
)
def test_a_malformed_url_is_one_line(cli, url, message):
    assert cli("plans", VERTICE_URL=url, code=1).stderr.startswith(message)


def test_a_url_that_is_not_the_api_base_says_so(cli, server):
    result = cli("plans", VERTICE_URL=f"{server.url}/v3", code=1)
    assert result.stderr == "error: 404 Not Found (is the URL the base URL of a vertice API?)\n"


def test_a_server_that_is_not_vertice_is_one_line(cli):
    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>a web page</html>")

        def log_message(self, *_):
            pass

    other = http.server.HTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{other.server_port}"
        result = cli("plans", VERTICE_URL=url, code=1)
    finally:
        other.shutdown()
    assert result.stderr.startswith(f"error: {url}/v3/plan_factory?")
    assert result.stderr.endswith("is the URL the base URL of a vertice API?\n")


# -- help and completion --


def every_command(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, (*path, name)
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def test_every_command_has_help(cli):
    commands = list(every_command(main))
    for expected in ("login", "plans", "apply", "get", "describe", "restart", "scale",
                     "completion"):  # fmt: skip
        assert (expected,) in commands
    assert ("get", "assemblies") in commands
    for path in [(), *commands]:
        result = cli(*path, "--help")
        assert result.stdout.startswith(f"Usage: vertice {' '.join(path)}".rstrip()), path
        command = main
        for name in path:
            found = command.get_command(click.Context(command), name)  # type: ignore[attr-defined]
            assert found is not None, path
            command = found
        assert command.help and len(command.help) > 20, path


def test_completion_scripts(cli):
    assert "_VERTICE_COMPLETE=bash_complete" in cli("completion", "bash").stdout
    assert cli("completion", "zsh").stdout.startswith("#compdef vertice")
    assert "complete --no-files --command vertice" in cli("completion", "fish").stdout
    assert "Invalid value" in cli("completion", "tcsh", code=2).stderr


def test_completion_knows_commands_and_assembly_names(cli, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            [
                {"name": n, "plan_uri": PLAN, "region": "local", "flavor": "small"}
                for n in ("comp-web", "comp-db")
            ]
        )
    )
    cli("apply", "-f", str(path))

    def complete(words: str) -> list[str]:
        done = cli.run(
            _VERTICE_COMPLETE="bash_complete",
            COMP_WORDS=words,
            COMP_CWORD=str(len(words.split()) - 1),
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert complete("vertice st") == ["plain,start", "plain,stop"]
    assert complete("vertice stop comp-w") == ["plain,comp-web"]
    assert complete("vertice describe assembly comp-") == ["plain,comp-db", "plain,comp-web"]
    cli("delete", "comp-web", "comp-db")


def test_help_imports_neither_the_http_client_nor_yaml(tmp_path):
    code = (
        "import sys\nfrom vertice_api.cli import main\n"
        "for args in (['--help'], ['apply', '--help'], ['get', 'assemblies', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'yaml'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"


# -- small pieces --


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0s"), (59, "59s"), (60, "1m"), (7200, "2h"), (3 * 86400, "3d")]
)
def test_age(seconds, shown):
    now = parse_time("2026-01-10T00:00:00Z")
    assert now is not None
    then = now.timestamp() - seconds
    from datetime import UTC, datetime

    assert age(datetime.fromtimestamp(then, UTC).isoformat(), now) == shown
    assert age(None) == "-"


def test_table_aligns_columns_and_leaves_the_last_unpadded():
    assert table(["A", "LONGER"], [["xyz", 1], ["q", None]]).splitlines() == [
        "A     LONGER",
        "xyz   1",
        "q",
    ]


NOT_FOUND = "404 Not Found"
EXPLAINED = [
    (ApiError(0, "Unreachable", "cannot reach http://x: no"), "cannot reach http://x: no"),
    (ApiError(409, "Conflict", "taken"), "409 Conflict: taken"),
    (ApiError(422, "Invalid input", "$.a: bad", (("$.a", "bad"),)), "422 Invalid input: $.a: bad"),
    (
        ApiError(422, "Invalid input", "wrong", (("$.a", "bad"), ("$.b", "worse"))),
        "422 Invalid input: wrong ($.a: bad; $.b: worse)",
    ),
    (
        ApiError(404, NOT_FOUND, NOT_FOUND),
        "404 Not Found (is the URL the base URL of a vertice API?)",
    ),
]


@pytest.mark.parametrize(("error", "line"), EXPLAINED)
def test_explain(error, line):
    assert explain(error) == line


def test_checked_url_strips_the_trailing_slash():
    assert checked_url("https://api.example.com/") == "https://api.example.com"


# -- replicas in tables --


@pytest.mark.parametrize(
    ("document", "shown"),
    [
        ({"replicas": 3, "status": {"ready_replicas": 2, "replicas": 3}}, "2/3"),
        ({"replicas": 0, "status": {"ready_replicas": 0, "replicas": 1}}, "0/0"),
        ({"status": {"ready_replicas": 1, "replicas": 1}}, "1/1"),  # an older API
        ({}, "0/1"),
    ],
)
def test_ready_is_ready_of_declared_instances(document, shown):
    assert ready(document) == shown


def test_describe_lists_instances_by_ordinal():
    instances = [
        {"ordinal": 2, "state": "pending", "key": "k2", "cloud_id": "c2", "region": "east"},
        {"ordinal": 0, "state": "running", "region": "local", "public_ipv4": "203.0.113.1",
         "key": "k0", "cloud_id": "c0", "private_ipv4": "10.0.0.1"},
        {"ordinal": 1, "state": "running", "private_ipv4": "10.0.0.2", "key": "k1",
         "cloud_id": "c1"},
    ]  # fmt: skip
    text = describe({"replicas": 3, "status": {"instances": instances, "ready_replicas": 2}}, [])
    assert "Replicas:      3 declared, 2 ready, 0 up to date" in text
    older = describe({"status": {"instances": [], "replicas": 1}}, [])  # an API before replicas
    assert "Replicas:      1 declared, 0 ready, 0 up to date" in older
    rows = [line.split() for line in text.split("Instances:")[1].splitlines()[1:5]]
    assert rows == [
        [
            "ORDINAL",
            "REGION",
            "STATE",
            "FLAVOR",
            "PUBLIC",
            "IPV4",
            "PRIVATE",
            "IPV4",
            "PUBLISHED",
            "KEY",
            "CLOUD",
            "ID",
        ],
        ["0", "local", "running", "-", "203.0.113.1", "10.0.0.1", "-", "k0", "c0"],
        ["1", "-", "running", "-", "-", "10.0.0.2", "-", "k1", "c1"],
        ["2", "east", "pending", "-", "-", "-", "-", "k2", "c2"],
    ]
