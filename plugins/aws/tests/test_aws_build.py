"""A source-built assembly in a VM region, on moto's EC2: built into a program, launched with it.

API -> build controller (git's own HTTP backend on 127.0.0.1) -> the VM builder -> the
reconciler -> the `aws` driver -> moto: the instance boots the plan's AMI, and its user data
fetches the exact commit and runs it as a systemd unit. A new commit replaces the instance
with one whose user data names the new commit. (The user data's boot under real systemd and
cloud-init: `plugins/docker/tests/test_docker_vm_boot.py`.)
"""

from __future__ import annotations

import base64

import attrs
import pytest
import yaml

from vertice_core.config import BuildSettings, Config
from vertice_core.program import Program
from vertice_drivers import vmprogram
from vertice_drivers.testkit import TEST_PUBLIC_KEY
from vertice_testing.gitcgi import GitHttpServer
from vertice_testing.gitserve import make_repository

pytestmark = pytest.mark.slow

APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'v%d']\n"


@pytest.fixture
def config(config: Config) -> Config:
    """Builds of local (127.0.0.1) repositories allowed, as the operator's setting does."""
    return attrs.evolve(config, builds=BuildSettings(allow_local=True, timeout=30))


def user_data(ec2, instance_id):
    data = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    return yaml.safe_load(base64.b64decode(data["UserData"]["Value"]).decode())


def test_a_python_source_runs_on_ec2_as_a_program_fetched_at_boot(
    alice, aws_region, make_reconciler, converge, ec2, moto_instances, ubuntu_ami, tmp_path
):
    aws_region()
    first = make_repository(tmp_path / "git" / "app.git", {"requirements.txt": "",
                                                            "app.py": APP % 1})  # fmt: skip
    with GitHttpServer(tmp_path / "git") as server:
        url = server.url_of("app.git")
        credential = {"kind": "ssh_public_key", "public_key": TEST_PUBLIC_KEY}
        declared = alice.declare("app", region="aws-test", credential=credential,
                                 source={"url": url})  # fmt: skip
        assert declared.status_code == 201, declared.json
        uri = declared.headers["location"]
        reconciler = make_reconciler()

        def settle() -> None:
            reconciler.run_build_pass()
            reconciler.builds.wait(10)
            reconciler.run_pass()

        def running(revision: int) -> list[dict]:
            body = alice.get(uri).json
            items = [i for i in body["status"]["instances"] if i["state"] == "running"]
            if body["status"]["phase"] != "RUNNING" or len(items) != 1:
                return []
            return items if items[0].get("revision") == revision else []

        def settled(revision: int) -> bool:
            settle()
            return bool(running(revision))

        converge(reconciler, lambda: settled(1), timeout=60)
        (build,) = alice.get("/v3/builds", params={"assembly": "app"}).json["items"]
        assert (build["state"], build["builder"], build["commit"]) == ("succeeded", "python", first)
        program = Program.parse(alice.get(uri).json["release"]["image"])
        assert program is not None
        assert (program.url, program.commit, program.recipe, program.ref) == (url, first, "python",
                                                                              "")  # fmt: skip
        assert program.start == 'exec gunicorn --bind "0.0.0.0:$PORT" app:app'
        assert "fetch " + url in alice.get(f"/v3/builds/{build['id']}/log").text

        (item,) = moto_instances({"vertice-assembly": declared.json["id"]})
        assert item["ImageId"] == ubuntu_ami  # the plan's operating system, not an image
        config = user_data(ec2, item["InstanceId"])
        assert config["ssh_authorized_keys"] == [TEST_PUBLIC_KEY]
        files = {f["path"]: f["content"] for f in config["write_files"]}
        assert f"checkout --quiet {first}" in files[vmprogram.PREPARE]
        assert "app:app" in files[vmprogram.UNIT_PATH]
        assert ["systemctl", "enable", "--now", vmprogram.UNIT] in config["runcmd"]

        # a new commit: built, released, and the VM replaced by one that fetches it
        second = make_repository(tmp_path / "git" / "app.git", {"app.py": APP % 2})
        assert alice.post("/v3/builds", {"assembly": "app"}).status_code == 201

        converge(reconciler, lambda: settled(2), timeout=60)
    live = [i for i in moto_instances({"vertice-assembly": declared.json["id"]})
            if i["State"]["Name"] != "terminated"]  # fmt: skip
    (new,) = live
    assert new["InstanceId"] != item["InstanceId"]
    assert (
        f"checkout --quiet {second}"
        in user_data(ec2, new["InstanceId"])["write_files"][0]["content"]
    )


def test_a_private_source_or_a_dockerfile_recipe_is_a_422_in_a_vm_region(alice, aws_region):
    aws_region()
    for source, path, words in (
        ({"url": "https://git.example.com/a.git", "token": "t0ken"}, "$.source.token",
         "public repositories only"),
        ({"url": "https://git.example.com/a.git", "recipe": "dockerfile"}, "$.source.recipe",
         "no recipe 'dockerfile' for 'aws' regions"),
    ):  # fmt: skip
        answer = alice.declare("app", region="aws-test", source=source)
        assert answer.status_code == 422, answer.json
        assert any(p["path"] == path and words in p["message"] for p in answer.json["problems"]), (
            answer.json
        )
    assert alice.get("/v3/assembly_factory").json["items"] == []
    assert alice.get("/v3/builds").json["items"] == []
