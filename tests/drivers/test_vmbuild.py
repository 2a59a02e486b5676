"""The VM regions' builders and their programs: detected, checked, written, delivered.

The program's boot on a real systemd with the real cloud-init is tested in
`plugins/docker/tests/test_docker_vm_boot.py`; on moto's EC2, through the
reconciler, in `plugins/aws/tests/test_aws_build.py`.
"""

from __future__ import annotations

import time
from pathlib import Path

import attrs
import pytest
import yaml

from vertice_core.builder import BuildFailed, BuildJob
from vertice_core.building import builders
from vertice_core.program import Program
from vertice_drivers import vmbuild, vmprogram
from vertice_drivers.cloudinit import EXPORTER_PACKAGE, cloud_config
from vertice_drivers.testkit import TEST_PUBLIC_KEY, default_spec

COMMIT = "0123456789abcdef0123456789abcdef01234567"
URL = "https://git.example.com/team/app.git"


class Log:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def tree_of(tmp_path: Path, files: dict[str, str]) -> Path:
    tree = tmp_path / "tree"
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    return tree


def job(tree: Path, **changes: object) -> BuildJob:
    base = BuildJob(build_id="bld-1", tree=tree, commit=COMMIT, image="unused", labels={},
                    deadline=time.time() + 60, scratch=tree.parent, url=URL,
                    ref="main")  # fmt: skip
    return attrs.evolve(base, **changes)


def built(builder_class: type[vmbuild.VmBuilder], tree: Path, **changes: object) -> Program:
    log = Log()
    reference = builder_class(None).build(job(tree, **changes), log)  # type: ignore[arg-type]
    program = Program.parse(reference)
    assert program is not None and program.reference() == reference
    assert COMMIT in log.text and program.start in log.text
    return program


def test_a_program_reference_is_pips_and_reads_back_the_same():
    program = Program(url=URL, commit=COMMIT, recipe="node", start='exec node "a b.js"',
                      subdirectory="web/app", ref="release/1")  # fmt: skip
    reference = program.reference()
    assert reference.startswith(f"git+{URL}@{COMMIT}#recipe=node&start=exec%20node%20")
    assert Program.parse(reference) == program
    assert Program.parse("localhost/vertice-asm-1:3") is None  # an image
    ssh = attrs.evolve(program, url="git@git.example.com:team/app.git")
    assert Program.parse(ssh.reference()) == ssh
    for broken in (f"git+{URL}@abc#recipe=node&start=x", f"git+{URL}@{COMMIT}#recipe=cobol&start=x",
                   f"git+{URL}@{COMMIT}#recipe=node"):  # fmt: skip
        with pytest.raises(ValueError, match="not a program reference"):
            Program.parse(broken)


def test_the_vm_recipes_serve_the_vm_clouds_and_only_public_repositories():
    for cloud in ("aws", "azure", "gce", "opennebula", "openstack", "softlayer"):
        assert [i.name for i in builders.serving(cloud)] == ["python", "node", "static"]
        assert builders.recipe_problem("python", cloud) is None
        assert "public repositories only" in (builders.private_problem("", cloud) or "")
    assert "no recipe 'dockerfile'" in (builders.recipe_problem("dockerfile", "aws") or "")
    assert builders.private_problem("", "sim") is None  # the sim builder reads a private one


@pytest.mark.parametrize(
    ("files", "builder", "start"),
    [
        ({"requirements.txt": "flask\n", "app.py": "app = object()\n"}, vmbuild.PythonVmBuilder,
         'exec gunicorn --bind "0.0.0.0:$PORT" app:app'),
        ({"pyproject.toml": "", "Procfile": "web: gunicorn -w 2 web:api\n"},
         vmbuild.PythonVmBuilder, "exec gunicorn -w 2 web:api"),
        ({"package.json": '{"scripts": {"start": "node srv.js"}}'}, vmbuild.NodeVmBuilder,
         "exec node srv.js"),
        ({"package.json": "{}", "server.js": ""}, vmbuild.NodeVmBuilder, "exec node server.js"),
        ({"dist/index.html": "<p>hi</p>"}, vmbuild.StaticVmBuilder,
         'exec busybox httpd -f -p "$PORT" -h ./dist'),
    ],
)  # fmt: skip
def test_each_recipe_detects_its_tree_and_makes_the_program_that_starts_it(
    tmp_path, files, builder, start
):
    tree = tree_of(tmp_path, files)
    assert builder(None).detect(tree)  # type: ignore[arg-type]
    program = built(builder, tree, subdirectory="svc")
    assert (program.url, program.commit, program.ref, program.subdirectory) == (
        URL, COMMIT, "main", "svc")  # fmt: skip
    assert (program.recipe, program.start) == (builder.name, start)


def test_a_dockerfile_is_no_vm_recipe_and_a_tree_that_cannot_start_fails_at_build(tmp_path):
    tree = tree_of(tmp_path, {"Dockerfile": "FROM x\n", "requirements.txt": ""})
    assert not vmbuild.PythonVmBuilder(None).detect(tree)  # type: ignore[arg-type]
    with pytest.raises(BuildFailed, match="no WSGI app") as failed:
        vmbuild.PythonVmBuilder(None).build(job(tree), Log())  # type: ignore[arg-type]
    assert failed.value.reason == "NoEntryPoint"
    with pytest.raises(BuildFailed, match="must be public") as private:
        built(vmbuild.StaticVmBuilder, tree_of(tmp_path, {"index.html": ""}), private=True)
    assert private.value.reason == "SourceNotPublic"


def test_the_user_data_fetches_the_commit_prepares_the_recipe_and_runs_the_unit():
    program = Program(url=URL, commit=COMMIT, recipe="python",
                      start='exec gunicorn --bind "0.0.0.0:$PORT" app:app', subdirectory="svc",
                      ref="main")  # fmt: skip
    spec = default_spec("vti-1", "asm-1-1", ssh_public_key=TEST_PUBLIC_KEY, metrics_port=9100,
                        program=program)  # fmt: skip
    config = yaml.safe_load(cloud_config(spec) or "")
    assert config["ssh_authorized_keys"] == [TEST_PUBLIC_KEY]  # what was there stays
    assert config["packages"] == [EXPORTER_PACKAGE, "git", "ca-certificates", "python3-venv",
                                  "gunicorn"]  # fmt: skip
    files = {f["path"]: f for f in config["write_files"]}
    script = files[vmprogram.PREPARE]["content"]
    assert files[vmprogram.PREPARE]["permissions"] == "0755"
    assert f"git fetch --quiet --depth 1 {URL} {COMMIT} || git fetch --quiet {URL} main" in script
    assert f'test "$(git rev-parse HEAD)" = {COMMIT}' in script
    assert "cd /srv/vertice-app/src/svc\n" in script and "-r requirements.txt" in script
    unit = files[vmprogram.UNIT_PATH]["content"]
    assert "User=vertice-app\n" in unit and "WorkingDirectory=/srv/vertice-app/src/svc\n" in unit
    # systemd would expand $PORT itself: the line reaches sh as written
    assert 'ExecStart=/bin/sh -c "exec gunicorn --bind \\"0.0.0.0:$$PORT\\" app:app"' in unit
    assert config["runcmd"][-3:] == [[vmprogram.PREPARE], ["systemctl", "daemon-reload"],
                                     ["systemctl", "enable", "--now", vmprogram.UNIT]]  # fmt: skip


def test_a_hostile_url_or_ref_stays_one_word_of_the_script():
    program = Program(url="https://h/x.git; rm -rf /", commit=COMMIT, recipe="static",
                      start="exec busybox httpd -f -p 8080", ref="$(reboot)")  # fmt: skip
    script = vmprogram.prepare_script(program)
    assert "'https://h/x.git; rm -rf /'" in script and "'$(reboot)'" in script
