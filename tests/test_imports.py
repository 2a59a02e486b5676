"""The import rules: import-linter contracts, and no cloud SDK where none is needed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from vertice_testing.processes import fresh_python

ROOT = Path(__file__).resolve().parent.parent
SDKS = ("boto3", "botocore", "azure", "google", "SoftLayer", "pyone", "docker", "openstack",
        "keystoneauth1")  # fmt: skip


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--config", "setup.cfg"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def loaded_after(code: str, tmp_path: Path, *, top: bool = True) -> set[str]:
    """Top-level modules (`top`, else every module) loaded by running `code` in a fresh
    interpreter."""
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        names = {{m.split('.')[0] for m in sys.modules}} if {top} else set(sys.modules)
        print("MODULES=" + json.dumps(sorted(names)))
        """
    )
    output = fresh_python(script, tmp_path)
    line = next(ln for ln in output.splitlines() if ln.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def test_cli_help_imports_no_sdk_nor_the_server_stack(tmp_path):
    modules = loaded_after(
        """
        from vertice_api.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
        """,
        tmp_path,
    )
    assert not modules & set(SDKS)
    assert not modules & {"sqlalchemy", "falcon", "gunicorn", "cryptography"}


def test_api_workers_import_no_sdk(tmp_path):
    modules = loaded_after(
        """
        import falcon.testing
        from vertice_api.app import create_app
        from vertice_api.context import build_context
        from vertice_core.config import Config
        from vertice_core.store import migrate
        config = Config.from_env()
        ctx = build_context(config)
        migrate.upgrade(ctx.store.engine)
        client = falcon.testing.TestClient(create_app(ctx))
        for path in ("/healthz", "/v3/openapi.json", "/v3/regions", "/v3/drivers"):
            client.simulate_get(path)
        client.simulate_post("/v3/regions", json={"name": "x", "cloud_type": "aws"})
        """,
        tmp_path,
    )
    assert not modules & set(SDKS)


def test_a_reconciler_of_sim_regions_imports_no_sdk(tmp_path):
    modules = loaded_after(
        """
        from vertice_core import builtins
        from vertice_core.config import Config
        from vertice_core.convert import make_converter
        from vertice_core.reconcile.main import build
        from vertice_core.store import Store, migrate
        config = Config.from_env()
        store = Store(config.database_url)
        migrate.upgrade(store.engine)
        builtins.seed(store, make_converter())
        reconciler = build(config)
        reconciler.run_pass()
        reconciler.close()
        """,
        tmp_path,
    )
    assert not modules & set(SDKS)


def test_the_api_master_imports_what_workers_serve_with_and_not_the_cli_nor_the_planner(
    tmp_path,
):
    """What every API worker starts with (issue 18: a worker's RSS holds all its master
    holds). `vertice serve --api-only` becomes `vertice_api.master`, which imports the app's
    modules before forking but not the command line's; the reconciler's planner (`GET
    .../plan` and dry runs) loads on a worker's first such request."""
    modules = loaded_after(
        """
        from vertice_api import master, serve
        serve.import_app_modules()
        """,
        tmp_path,
        top=False,
    )
    assert {"vertice_api.app", "vertice_api.context", "sqlalchemy", "falcon"} <= modules
    assert not modules & {"click", "vertice_api.cli", "vertice_core.reconcile.preview",
                          "vertice_core.reconcile.plan", "alembic",
                          "multiprocessing", "jsonpatch", "jsonpointer",
                          "difflib"}  # fmt: skip
