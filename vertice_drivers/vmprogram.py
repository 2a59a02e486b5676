"""A program's part of a VM's cloud-init: fetch the exact commit, prepare it, run it as a unit.

`vertice_drivers.cloudinit.cloud_config` adds what `parts(program)` returns to
the user data of a source-built assembly's VMs (`InstanceSpec.program`). At
the VM's first boot, cloud-init:

1. installs the recipe's Debian packages (`packages`: git, and python3-venv
   with Debian's gunicorn, or nodejs and npm, or busybox);
2. writes two files: `/usr/local/lib/vertice/prepare-app`, a shell script, and
   the systemd unit `vertice-app.service`;
3. runs the script (`runcmd`), which makes the unprivileged user `vertice-app`,
   fetches the program's commit into `/srv/vertice-app/src` (by its id, with
   depth 1; from its ref when the server refuses a commit by id), checks
   that HEAD is that commit, and prepares the recipe: a venv that sees
   Debian's gunicorn and installs `requirements.txt` (or the project of
   `pyproject.toml`), with a `gunicorn` command that runs on the venv's
   Python (Debian's own would not see the venv), or `npm ci --omit=dev`
   (`npm install` without a lock file), or nothing for a static site. The
   code stays root's: the program runs as `vertice-app` and writes only
   under its home, `/var/lib/vertice-app`;
4. enables and starts the unit, which runs the program's start line from its
   folder as `vertice-app`, with `PORT` in its environment, and restarts it
   when it exits. The journal has its output.

Any failing step stops the script, so the unit never starts on a half-made
tree; cloud-init's output log (`/var/log/cloud-init-output.log`) says which.
The program's environment is `PORT` alone: user data is readable by every
process of the VM and shown in cloud consoles, no place for the assembly's
`env` (which may hold secrets).
"""

from __future__ import annotations

import shlex
from typing import Any

from vertice_core.program import Program

__all__ = ["APP_HOME", "PREPARE", "UNIT", "UNIT_PATH", "parts", "prepare_script", "unit_file"]

#: Where the program lives on the VM.
APP_HOME = "/srv/vertice-app"
#: The venv of a Python program (it sees Debian's gunicorn: `--system-site-packages`).
VENV = f"{APP_HOME}/venv"
#: The user it runs as (a system user, no login), and its home (the only place it writes).
USER = "vertice-app"
USER_HOME = "/var/lib/vertice-app"
PREPARE = "/usr/local/lib/vertice/prepare-app"
UNIT = "vertice-app.service"
UNIT_PATH = f"/etc/systemd/system/{UNIT}"

#: The Debian packages each recipe needs on the VM (git fetches the commit).
PACKAGES = {
    "python": ("git", "ca-certificates", "python3-venv", "gunicorn"),
    "node": ("git", "ca-certificates", "nodejs", "npm"),
    "static": ("git", "ca-certificates", "busybox"),
}

#: The recipes' preparation, run from the program's folder (`set -eu` is on).
_RECIPE_STEPS = {
    "python": f"""\
python3 -m venv --system-site-packages {VENV}
if [ -f requirements.txt ]; then
  {VENV}/bin/pip install --no-input --disable-pip-version-check -r requirements.txt
elif [ -f pyproject.toml ]; then
  {VENV}/bin/pip install --no-input --disable-pip-version-check .
fi
if [ ! -x {VENV}/bin/gunicorn ]; then
  printf '#!/bin/sh\\nexec {VENV}/bin/python3 -m gunicorn "$@"\\n' > {VENV}/bin/gunicorn
  chmod 755 {VENV}/bin/gunicorn
fi
""",
    "node": """\
if [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then
  npm ci --omit=dev --no-audit --no-fund
else
  npm install --omit=dev --no-audit --no-fund
fi
""",
    "static": "",
}


def parts(program: Program) -> dict[str, Any]:
    """The cloud-config keys that fetch, prepare and run `program` (see the module)."""
    return {
        "packages": list(PACKAGES[program.recipe]),
        "write_files": [
            {"path": PREPARE, "permissions": "0755", "content": prepare_script(program)},
            {"path": UNIT_PATH, "permissions": "0644", "content": unit_file(program)},
        ],
        "runcmd": [
            [PREPARE],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", UNIT],
        ],
    }


def folder(program: Program) -> str:
    """The program's folder on the VM (its subdirectory of the checkout)."""
    src = f"{APP_HOME}/src"
    return f"{src}/{program.subdirectory}" if program.subdirectory else src


def prepare_script(program: Program) -> str:
    """The shell script that fetches the commit and prepares the recipe, as root."""
    q = shlex.quote
    fetch_ref = f"git fetch --quiet {q(program.url)} {q(program.ref)}" if program.ref else "false"
    return f"""\
#!/bin/sh
# vertice: fetch {program.commit} and prepare it ({program.recipe} recipe).
set -eu
id {USER} >/dev/null 2>&1 || useradd --system --create-home --home-dir {USER_HOME} \\
  --shell /usr/sbin/nologin {USER}
rm -rf {APP_HOME}
mkdir -p {APP_HOME}/src
cd {APP_HOME}/src
git init --quiet
git fetch --quiet --depth 1 {q(program.url)} {program.commit} || {fetch_ref}
git -c advice.detachedHead=false checkout --quiet {program.commit}
test "$(git rev-parse HEAD)" = {program.commit}
rm -rf .git
cd {q(folder(program))}
export HOME=/root
{_RECIPE_STEPS[program.recipe]}"""


def unit_file(program: Program) -> str:
    """The systemd unit that runs the program's start line as `vertice-app`."""
    # systemd reads `$` and `%` in ExecStart itself; the line is escaped so sh reads them.
    line = program.start.replace("%", "%%").replace("$", "$$")
    paths = f"{VENV}/bin:{folder(program)}/node_modules/.bin:/usr/local/bin:/usr/bin:/bin"
    return f"""\
[Unit]
Description=vertice application ({program.recipe}, commit {program.commit[:12]})
After=network-online.target
Wants=network-online.target

[Service]
User={USER}
WorkingDirectory={folder(program)}
Environment=PORT={program.port} HOME={USER_HOME} PATH={paths}
ExecStart=/bin/sh -c {_systemd_quoted(line)}
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
"""


def _systemd_quoted(text: str) -> str:
    """`text` as one argument of a systemd command line (double quotes, C escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
