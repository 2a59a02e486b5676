"""The `vertice` group imports a command's module when the command runs: its table of
modules and commands (`vertice_api.cli.MODULES`) must name every command, and the
server commands must run without the client's modules."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click

from vertice_api.cli import MODULES, main


def test_the_table_names_each_modules_commands_in_order() -> None:
    for module, names in MODULES.items():
        found = importlib.import_module(f"vertice_api.cli.{module}").COMMANDS
        assert tuple(command.name for command in found) == names, module


def test_every_listed_command_is_found_by_its_name() -> None:
    context = click.Context(main)
    names = main.list_commands(context)
    assert names == sorted(name for listed in MODULES.values() for name in listed)
    for name in names:
        command = main.get_command(context, name)
        assert command is not None and command.name == name
    assert main.get_command(context, "no-such-command") is None


_IMPORTED = """
import sys
from vertice_api.cli import main
try:
    main([sys.argv[1], "--help"])
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.startswith("vertice_api.cli."))), file=sys.stderr)
"""


def test_the_server_commands_leave_the_client_commands_unimported() -> None:
    for command in ("serve", "reconcile"):
        done = subprocess.run(
            [sys.executable, "-c", _IMPORTED, command],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.stdout.startswith(f"Usage: -c {command} "), done.stdout  # the help ran
        imported = set(done.stderr.split())
        assert "vertice_api.cli.server" in imported, done.stderr
        # What the server commands need: their module, `adopt`, the configuration file
        # and the output option; nothing of the client (`client`, `kinds`, `bulk`...).
        assert imported <= {
            "vertice_api.cli.server",
            "vertice_api.cli.adopt",
            "vertice_api.cli.configfile",
            "vertice_api.cli.formats",
        }, imported
