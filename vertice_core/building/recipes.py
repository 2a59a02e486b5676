"""What a source tree asks for, read from its files: the recipes' detection and commands.

Every builder of a recipe (`python`, `node`, `static`) reads the same things
from a tree, whatever it builds for: the Docker plugin's image recipes and
the VM regions' cloud-init programs (`vertice_drivers.vmbuild`) alike. Here
is that reading, with no I/O beyond the tree's files and nothing of the
user's code run (Python files are parsed, never imported):

* `procfile_web(tree)`: the `Procfile`'s `web:` line, which wins everywhere.
* `python_command(tree)`: that line, else gunicorn serving the first WSGI
  entry point found (`wsgi.py` defining `application` or `app`, `app.py`
  defining `app` or `application`).
* `node_command(tree, manifest)`: that line, else `scripts.start`, else
  `node server.js`, else `node <main>` (`index.js` by default).
* `site_folder(tree)`: the folder holding the site's `index.html`: the
  tree's root, else `public/`, else `dist/`.

A tree with none of them fails the build with reason `NoEntryPoint`, naming
what was looked for. Commands are argv tuples: a shell line is run by
`/bin/sh -c` (`shell_command`), `exec`'d when it is one command so that
signals reach the program rather than the shell.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from vertice_core.builder import BuildFailed

__all__ = [
    "SERVER",
    "SITE_FOLDERS",
    "WSGI_CANDIDATES",
    "json_object",
    "node_command",
    "package_json",
    "procfile_web",
    "python_command",
    "shell_command",
    "site_folder",
    "site_root",
    "wsgi_entry_point",
]

#: Where to look for a WSGI callable, in order: (file, names it may define).
WSGI_CANDIDATES = (("wsgi.py", ("application", "app")), ("app.py", ("app", "application")))
#: The WSGI server of the Python recipe's default command.
SERVER = "gunicorn"
#: Where a static site may be, in order ("" is the tree's root).
SITE_FOLDERS = ("", "public", "dist")


def shell_command(line: str) -> tuple[str, ...]:
    """`line` run by `sh -c`; `exec`'d when it is one command (signals reach it, not sh)."""
    simple = not any(mark in line for mark in (";", "&", "|", "\n", "`", "$("))
    return ("/bin/sh", "-c", f"exec {line}" if simple else line)


def procfile_web(tree: Path) -> str | None:
    """The `web:` command of the tree's `Procfile`, if it has one."""
    path = tree / "Procfile"
    if path.is_symlink() or not path.is_file():
        return None
    for line in path.read_text(errors="replace").splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() == "web" and command.strip():
            return command.strip()
    return None


def python_command(tree: Path) -> tuple[str, ...]:
    """The Python recipe's command: the Procfile's web line, else gunicorn on `$PORT`."""
    web = procfile_web(tree)
    if web is not None:
        return shell_command(web)
    entry = wsgi_entry_point(tree)
    if entry is None:
        looked = "; ".join(
            f"{file} defining {' or '.join(names)}" for file, names in WSGI_CANDIDATES
        )
        raise BuildFailed(
            f"no entry point: no Procfile with a web: line, and no WSGI app ({looked})",
            reason="NoEntryPoint",
        )
    return shell_command(f'{SERVER} --bind "0.0.0.0:$PORT" {entry}')


def wsgi_entry_point(tree: Path) -> str | None:
    """`module:name` of the first WSGI callable the candidates define at their top level."""
    for filename, names in WSGI_CANDIDATES:
        path = tree / filename
        if path.is_symlink() or not path.is_file():
            continue
        try:
            module = ast.parse(path.read_bytes(), filename=filename)
        except (SyntaxError, ValueError):
            continue
        defined = _top_level_names(module)
        for name in names:
            if name in defined:
                return f"{path.stem}:{name}"
    return None


def _top_level_names(module: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return names


def package_json(tree: Path) -> dict[str, Any]:
    """The tree's `package.json`, a JSON object (else `InvalidPackageJson`)."""
    return json_object(tree / "package.json")


def json_object(path: Path) -> dict[str, Any]:
    """The JSON object in `path` (npm's files), else `InvalidPackageJson` naming the file."""
    try:
        found = json.loads(path.read_text(errors="replace"))
    except ValueError as exc:
        raise BuildFailed(f"{path.name}: {exc}", reason="InvalidPackageJson") from None
    if not isinstance(found, dict):
        raise BuildFailed(f"{path.name}: not a JSON object", reason="InvalidPackageJson")
    return found


def node_command(tree: Path, manifest: dict[str, Any]) -> tuple[str, ...]:
    """The Node recipe's command, as `npm start` would choose it (see the module)."""
    web = procfile_web(tree)
    if web is not None:
        return shell_command(web)
    start = (manifest.get("scripts") or {}).get("start")
    if isinstance(start, str) and start.strip():
        return shell_command(start.strip())
    main = str(manifest.get("main") or "index.js")
    for script in ("server.js", main):
        path = tree / script
        if path.is_file() and path.resolve().is_relative_to(tree.resolve()):
            return ("node", script)
    raise BuildFailed(
        "no entry point: no Procfile with a web: line, no scripts.start in package.json, "
        f"no server.js and no {main} (package.json's main)",
        reason="NoEntryPoint",
    )


def site_root(tree: Path) -> str | None:
    """The folder of the tree ("" for its root) holding the site's `index.html`."""
    for name in SITE_FOLDERS:
        folder = tree / name
        if name and (folder.is_symlink() or not folder.is_dir()):
            continue
        index = folder / "index.html"
        if index.is_file() and not index.is_symlink():
            return name
    return None


def site_folder(tree: Path) -> str:
    """`site_root(tree)`, else `NoEntryPoint` naming the places looked at."""
    folder = site_root(tree)
    if folder is None:
        places = ", ".join(f"{name}/index.html" if name else "index.html" for name in SITE_FOLDERS)
        raise BuildFailed(f"no site: none of {places}", reason="NoEntryPoint")
    return folder
