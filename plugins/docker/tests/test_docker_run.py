"""End to end on a real engine: a plan says what the container runs (command, args, env and the
port to publish), an assembly overrides the env, and the container serves what they say at
the published address the API and the CLI show."""

from __future__ import annotations

import time
import urllib.request

from vertice_api.cli.output import assemblies_table, describe

SECRET = "greeting-S3cret-7741"
PORT = 8181  # not the image's 8080: only the plan's command listens here

#: busybox `sh -c SCRIPT PORT`: the page holds `$GREETING`, httpd listens on the port of
#: the args (`$0`), in the foreground.
SCRIPT = 'mkdir -p /tmp/site && echo "$GREETING" > /tmp/site/index.html && exec httpd -f -p "$0" -h /tmp/site'  # noqa: E501
PLAN = {
    "name": "9_container_greeter",
    "camp_version": "1.2",
    "services": [{"name": "web", "characteristics": [
        {"type": "org.vertice.container::image", "name": "busybox-web"},
        {"type": "org.vertice.container::env", "http.port": str(PORT), "GREETING": "hello"},
        {"type": "org.vertice.container::command", "command": ["sh", "-c"],
         "args": [SCRIPT, str(PORT)]},
    ]}],
}  # fmt: skip


def fetch(address: str, timeout: float = 20.0) -> str:
    """GET / from `host:port`, retrying while the server inside starts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://{address}/", timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def running(api, uri):
    return api.get(uri).json["status"]["phase"] == "RUNNING"


def test_the_container_runs_the_plans_command_with_the_assemblys_env_at_the_published_port(
    admin, alice, installation, docker_region, make_reconciler, converge, engine_client
):
    docker_region()
    assert admin.post("/v3/plan_factory", PLAN).status_code == 201
    plain = alice.declare("greeter", plan_uri=f"/v3/plan/{PLAN['name']}", region="dock")
    secret = alice.declare(
        "secret-greeter",
        plan_uri=f"/v3/plan/{PLAN['name']}",
        region="dock",
        env={"GREETING": SECRET},
    )
    assert (plain.status_code, secret.status_code) == (201, 201), (plain.json, secret.json)
    uris = [plain.headers["location"], secret.headers["location"]]
    reconciler = make_reconciler()
    converge(reconciler, lambda: all(running(alice, uri) for uri in uris))

    documents = [alice.get(uri).json for uri in uris]
    addresses = []
    for document, page in zip(documents, ("hello\n", f"{SECRET}\n"), strict=True):
        (instance,) = document["status"]["instances"]
        (address,) = instance["access"]
        assert address.startswith("127.0.0.1:")
        assert fetch(address) == page
        addresses.append(address)
        container = engine_client.containers.get(instance["cloud_id"])
        assert container.attrs["Config"]["Entrypoint"] == ["sh", "-c"]
        assert container.attrs["Config"]["Cmd"] == [SCRIPT, str(PORT)]
        assert f"{PORT}/tcp" in container.attrs["NetworkSettings"]["Ports"]

    assert documents[1]["env_names"] == ["GREETING"]
    assert not any(SECRET in alice.get(uri).text for uri in uris)

    table = assemblies_table(documents).splitlines()
    assert table[0].split()[5] == "ADDRESSES"
    assert [line.split()[5] for line in table[1:]] == addresses
    described = describe(documents[1], [])
    assert addresses[1] in described
    assert "Env:           GREETING (values hidden)" in described
    assert SECRET not in described
