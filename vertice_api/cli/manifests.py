"""The files of `apply -f` and `delete -f`: which documents they declare, of which kind, in
which order, with which values.

An operator keeps the installation's regions, flavors, plans, keys and
assemblies in files (in git); `-f` takes files and directories (their `*.yaml`,
`*.yml` and `*.json`, sorted; `-R`: and their subdirectories'). Each document
names its kind (`kind: region`; none: an assembly) and is applied kinds-first
(`ORDER`), so one file can set up a region and launch into it; `delete -f`
goes backwards. Secrets stay out of the files: a string value `${VAR}` is the
environment variable VAR, and `{fromFile: PATH}` a file's content
(`substituted`); `redact` keeps them out of what is printed. Nothing here
talks to the API.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertice_api.cli import kinds
from vertice_api.cli.assemblies import Document, load
from vertice_api.cli.connect import Failure

#: The file names a directory given to `-f` contributes.
SUFFIXES = (".yaml", ".yml", ".json")
#: The kinds a file may declare, in the order `apply` declares them: what the others use
#: comes first (projects, then regions, flavors, plans and keys, then what runs there).
ORDER = ("projects", "regions", "flavors", "plans", "sshkeys", "assemblies", "routes", "scalers")
#: A string value that is a variable of the environment, as a whole: `${NAME}`.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: The one key of an object that stands for a file's content.
FROM_FILE = "fromFile"
#: What `redact` prints instead of a substituted value.
HIDDEN = "(hidden)"

#: What `apply --help` and `delete --help` say of the sources.
FILES_HELP = (
    "A JSON or YAML file (one declaration, a list, or YAML documents; - reads stdin), or a "
    "directory of *.yaml, *.yml and *.json files (sorted). Repeatable."
)


@dataclass
class Manifest:
    """One document of a file: what it declares, where it was, and its kind."""

    declaration: Document
    #: The file it was read from (`-`: standard input) and its position there (from 1).
    source: str
    number: int
    #: Its kind (`kinds.KINDS`), or None when `kind:` names none that files may declare.
    kind: kinds.Kind | None

    @property
    def ref(self) -> str | None:
        """What names the item: its kind's key (a route's hostname, a scaler's assembly)."""
        key = self.kind.key if self.kind is not None else "name"
        value = self.declaration.get(key)
        return value if isinstance(value, str) and value else None

    def label(self) -> str:
        """How lines name the document: `region/east (dir/regions.yaml, document 2)` (an
        assembly by its name alone, as its other lines name it)."""
        where = "standard input" if self.source == "-" else self.source
        if self.kind is None:
            what = str(self.declaration.get("kind"))
        elif self.kind is kinds.ASSEMBLIES:
            what = self.ref or "assembly"
        else:
            what = f"{self.kind.singular}/{self.ref}" if self.ref else self.kind.singular
        return f"{what} ({where}, document {self.number})"

    def rank(self) -> int:
        """Where the document comes in `ORDER` (an unknown kind last, to fail there)."""
        return ORDER.index(self.kind.name) if self.kind is not None else len(ORDER)


def kind_of(declaration: Document) -> kinds.Kind | None:
    """The kind a declaration names (`kind:`, singular, plural or alias; none: an assembly)."""
    word = declaration.get("kind")
    if word is None:
        return kinds.ASSEMBLIES
    kind = kinds.lookup(word) if isinstance(word, str) else None
    return kind if kind is not None and kind.name in ORDER else None


def files_of(source: str, *, recursive: bool) -> list[str]:
    """The files a source stands for: itself, or a directory's `SUFFIXES` files, sorted."""
    path = Path(source)
    if source == "-" or not path.is_dir():
        return [source]
    found = path.rglob("*") if recursive else path.iterdir()
    files = sorted(str(p) for p in found if p.is_file() and p.suffix in SUFFIXES)
    if not files:
        raise Failure(f"{source} holds no {', '.join('*' + s for s in SUFFIXES)} file")
    return files


def collect(sources: Iterable[str], *, recursive: bool = False) -> list[Manifest]:
    """Every document of the sources, in `ORDER` (the files' order within a kind)."""
    found = [
        Manifest(declaration, name, number, kind_of(declaration))
        for source in sources
        for name in files_of(source, recursive=recursive)
        for number, declaration in enumerate(load(name), 1)
    ]
    return sorted(found, key=Manifest.rank)


def substituted(manifest: Manifest) -> tuple[Document, list[str]]:
    """The declaration with `${VAR}` and `{fromFile: PATH}` replaced, and the values put in
    (for `redact`); `Failure` naming an unset variable or an unreadable file."""
    base = Path.cwd() if manifest.source == "-" else Path(manifest.source).parent
    secrets: list[str] = []

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            match = VARIABLE.fullmatch(value)
            if match is None:
                return value
            name = match.group(1)
            if name not in os.environ:
                raise Failure(f"the environment variable {name} is not set")
            secrets.append(os.environ[name])
            return secrets[-1]
        if isinstance(value, dict):
            if set(value) == {FROM_FILE}:
                return read(value[FROM_FILE])
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    def read(path: Any) -> str:
        if not isinstance(path, str) or not path:
            raise Failure(f"{FROM_FILE} must be the path of a file")
        try:
            text = (base / path).read_text(encoding="utf-8").rstrip()
        except (OSError, UnicodeDecodeError) as exc:
            raise Failure(f"cannot read {path} ({exc.__class__.__name__})") from None
        secrets.append(text)
        return text

    return resolve(manifest.declaration), secrets


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` without any substituted value (an API error may quote what it was sent)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, HIDDEN)
    return text
