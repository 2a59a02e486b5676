"""The recipes' base images, made offline from Debian packages and imported into an engine.

The recipes (`python`, `node`, `static`) build `FROM localhost/vertice-base-<name>:<key>`.
No registry is reachable from an engine here, so those images are not pulled:
this module makes each one's root file system with Debian's `mmdebstrap`
from the mirror apt already uses on this host (read from
`/etc/apt/sources.list*`), keeps the tarball in a cache, and `docker import`s
it. An operator runs it once per engine (`make base-images`, or
`python -m vertice_driver_docker.baseimages --base-url unix:///var/run/docker.sock`);
the docker plugin's tests run it for their own engine (a session fixture).

* **Keyed by its inputs.** `key` hashes the suite, the packages, the variant,
  the mmdebstrap options, the import's changes and `SCRIPT_VERSION`: the
  tarball is `<cache>/<name>-<key>.tar` and the tag `<key>[:12]`, so a base
  is made once per machine, imported once per engine, and a change of
  recipe makes a new tag beside the old one (builds in flight keep theirs).
  The cache is `--cache`, else `$XDG_CACHE_HOME/vertice/base-images`, else
  `~/.cache/vertice/base-images`. Bump `SCRIPT_VERSION` to remake them with
  a newer point release of the suite.
* **The bases.** `python`: bookworm's python3 (3.11, as the host's vertice;
  the Python recipe fetches wheels for it on the host), python3-venv,
  ca-certificates (`--variant=apt`). `node`: nodejs 18, ca-certificates; no
  npm inside (the recipe runs `npm ci` on the host). `static`: Debian's
  `busybox-static` alone (`--variant=extract`, its applets linked into /bin),
  2 MB, whose `httpd` serves the site: the same binary as the tests' busybox
  image, from the mirror rather than the host. Documentation, man pages and
  locales are left out (dpkg `path-exclude`).
* **Cost**, measured on this machine (2 cores, the Debian mirror over the
  network), all three bases: cold (three mmdebstraps and the imports) 65 s
  and 105 s in two runs (the mirror's speed decides: node alone took 50 s in
  the slower one, python 44 s, static 3 s); warm (tarballs cached, an engine
  without the images: the imports only) 3 to 5 s; all already on the engine
  0.02 to 0.3 s. The tarballs take 390 MB of cache (node 220, python 171,
  static 2).
* **Files and other repositories** (`Base.files`, `Base.repository`): what
  `appimages` adds for the one-click catalog's images (their entrypoints,
  configuration and pages, written by mmdebstrap hooks after the packages;
  `localhost/vertice-app-<name>`). Both count in the key only when set, so
  the bases keep theirs.
* mmdebstrap runs as root (its `root` mode) or, for another user, in its
  `unshare` mode (needs subordinate ids); concurrent runs (pytest-xdist
  workers) wait for each other on a lock file per base.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "BASES",
    "Base",
    "debian_sources",
    "default_cache",
    "ensure",
    "import_image",
    "locked",
    "main",
    "make_rootfs",
]

#: Bumped when what this module makes changes in a way its inputs do not show.
SCRIPT_VERSION = 1
#: The Debian release the bases come from (its python3 is the Python the recipe targets).
SUITE = "bookworm"
#: bookworm's python3: the version the Python recipe fetches wheels for.
PYTHON_VERSION = "3.11"
#: What no base needs: kept out of the file systems by dpkg.
_SLIM = tuple(
    f"--dpkgopt=path-exclude=/usr/share/{folder}/*" for folder in ("doc", "man", "locale", "info")
)
_PATH = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@attrs.frozen
class Base:
    """One base image: what goes into its file system and how it is imported."""

    name: str
    packages: tuple[str, ...]
    variant: str
    #: More mmdebstrap options (hooks, dpkg options).
    options: tuple[str, ...] = ()
    #: Dockerfile instructions applied on import (`ENV ...`).
    changes: tuple[str, ...] = ()
    suite: str = SUITE
    #: Files written into the file system after the packages: (absolute path, mode, text)
    #: (`appimages`: entrypoint scripts, configuration, pages).
    files: tuple[tuple[str, int, str], ...] = ()
    #: The image's repository: `localhost/<repository>-<name>` (`appimages`: `vertice-app`).
    repository: str = "vertice-base"

    @property
    def key(self) -> str:
        """The hash of everything the image is made from (hex sha256).

        `files` and `repository` count only when they are not their defaults, so
        the bases made before they existed keep their keys (and their caches).
        """
        inputs = attrs.asdict(
            self,
            filter=lambda field, value: field.name not in _LATER or value != field.default,
        )
        inputs |= {"script_version": SCRIPT_VERSION}
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    @property
    def reference(self) -> str:
        """`localhost/<repository>-<name>:<key12>` (`localhost/vertice-base-python:...`)."""
        return f"localhost/{self.repository}-{self.name}:{self.key[:12]}"


#: The fields added after the first bases were made (left out of their keys at their defaults).
_LATER = frozenset({"files", "repository"})


BASES = {
    base.name: base
    for base in (
        Base(
            "python",
            ("python3", "python3-venv", "ca-certificates"),
            "apt",
            _SLIM,
            (_PATH, "ENV LANG=C.UTF-8"),
        ),
        Base("node", ("nodejs", "ca-certificates"), "apt", _SLIM, (_PATH, "ENV LANG=C.UTF-8")),
        Base(
            "static",
            ("busybox-static",),
            "extract",
            ('--extract-hook=chroot "$1" /bin/busybox --install -s /bin',),
            ("ENV PATH=/bin",),
        ),
    )
}


def default_cache() -> Path:
    """`$XDG_CACHE_HOME/vertice/base-images`, else `~/.cache/vertice/base-images`."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "vertice" / "base-images"


def debian_sources(suite: str = SUITE, root: Path = Path("/etc/apt")) -> list[str]:
    """The `deb URI SUITE COMPONENTS` lines apt uses here for `suite` and its `-updates`,
    `-security`... (one-line `.list` files and deb822 `.sources` files alike)."""
    files = [root / "sources.list", *sorted((root / "sources.list.d").glob("*"))]
    entries: list[tuple[str, str, tuple[str, ...]]] = []
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            entries += _deb822(text)
        elif path.name.endswith(".list"):
            entries += _one_line(text)
    wanted = [
        f"deb {uri} {found} {' '.join(components)}"
        for uri, found, components in entries
        if found == suite or found.startswith(f"{suite}-")
    ]
    return list(dict.fromkeys(wanted))


def _one_line(text: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        if words[1].startswith("["):  # options: [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = ["deb", *words[1:]]
        if len(words) >= 4:
            yield words[1], words[2], tuple(words[3:])


def _deb822(text: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for paragraph in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled") == "no":
            continue
        components = tuple(fields.get("components", "main").split())
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                yield uri, suite, components


def make_rootfs(
    base: Base, cache: Path, sources: Sequence[str], log: Callable[[str], None] = print
) -> Path:
    """The tarball of `base`'s root file system in `cache`, made by mmdebstrap if missing."""
    tarball = cache / f"{base.name}-{base.key}.tar"
    if tarball.exists():
        return tarball
    if not sources:
        raise RuntimeError(f"apt has no source for Debian {base.suite} on this host")
    fd, partial = tempfile.mkstemp(prefix=f".{base.name}-", suffix=".tar", dir=cache)
    os.close(fd)
    staged = Path(tempfile.mkdtemp(prefix=f".{base.name}-files-", dir=cache))
    command = [
        "mmdebstrap",
        f"--variant={base.variant}",
        f"--include={','.join(base.packages)}",
        "--skip=output/dev",
        *base.options,
        *_file_hooks(base, staged),
        base.suite,
        partial,
        *sources,
    ]
    log(f"making {base.reference} with mmdebstrap from {', '.join(sources)}")
    try:
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL)  # noqa: S603 -- our argv
        os.replace(partial, tarball)
    finally:
        Path(partial).unlink(missing_ok=True)
        shutil.rmtree(staged, ignore_errors=True)
    return tarball


def _file_hooks(base: Base, staged: Path) -> list[str]:
    """Hooks that install `base.files` (staged in `staged`) into the chroot `$1`: customize
    hooks, or extract hooks for the `extract` variant (which has no customize step)."""
    stage = "extract" if base.variant == "extract" else "customize"
    hooks = []
    for number, (path, mode, text) in enumerate(base.files):
        if not path.startswith("/") or "'" in path or ".." in path.split("/"):
            raise ValueError(f"{base.name}: {path!r} is not a plain absolute path")
        source = staged / str(number)
        source.write_text(text)
        source.chmod(0o644)
        hooks.append(f"--{stage}-hook=install -D -m {mode:o} '{source}' \"$1{path}\"")
    return hooks


def ensure(
    base_url: str,
    names: Sequence[str] = (),
    cache: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Make and import the bases `names` (all when empty) into the engine; their references."""
    from vertice_core.model.types import Positive
    from vertice_driver_docker import DockerCredentials, DockerSettings
    from vertice_driver_docker.client import Engine

    cache = cache or default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    sources = debian_sources()
    engine = Engine(DockerSettings(base_url=base_url, timeout=Positive(300)), DockerCredentials())
    made = []
    try:
        for name in names or sorted(BASES):
            base = BASES[name]
            import_image(engine.client().api, base, cache, sources, log)
            made.append(base.reference)
    finally:
        engine.close()
    return made


def import_image(
    api: Any, base: Base, cache: Path, sources: Sequence[str], log: Callable[[str], None]
) -> bool:
    """Import `base` into the engine of the SDK's low-level `api` unless it is there (made
    from its cached tarball, else by mmdebstrap); whether it was imported."""
    import docker.errors

    from vertice_driver_docker.client import translated

    repository, tag = base.reference.rsplit(":", 1)
    with locked(cache / f".{base.name}.lock"), translated("import", base.reference):
        try:
            api.inspect_image(base.reference)
            log(f"{base.reference} is already on the engine")
            return False
        except docker.errors.ImageNotFound:
            tarball = make_rootfs(base, cache, sources, log)
            log(f"importing {tarball} as {base.reference}")
            api.import_image_from_file(
                str(tarball), repository=repository, tag=tag, changes=list(base.changes)
            )
            return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """`path` locked (flock) for as long as the block runs: one maker at a time per image."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m vertice_driver_docker.baseimages --base-url URL [--cache DIR] [NAME...]`."""
    parser = argparse.ArgumentParser(
        prog="python -m vertice_driver_docker.baseimages",
        description="Make the recipes' base images from Debian packages and import them.",
    )
    parser.add_argument("--base-url", default="unix:///var/run/docker.sock", help="the engine")
    parser.add_argument("--cache", type=Path, help=f"tarball cache (default {default_cache()})")
    names = ", ".join(sorted(BASES))
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {names} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BASES))
    if unknown:
        parser.error(f"no base named {', '.join(unknown)} (there are {', '.join(sorted(BASES))})")
    try:
        references = ensure(args.base_url, args.names, args.cache)
    except Exception as exc:  # a CLI: say what failed, in one line
        print(f"base images: {exc}", file=sys.stderr)
        return 1
    for reference in references:
        print(reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
