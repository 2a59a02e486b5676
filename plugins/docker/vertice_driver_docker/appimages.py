"""The one-click catalog's application images, made offline and imported into an engine.

The catalog's plans (`vertice_core/plans/3_webserver_apache.json` to
`7_cache_redis.json`) run `localhost/vertice-app-<name>:latest`. No registry is
reachable here, so this module makes those images the way `baseimages` makes
the recipes' bases, with its machinery: a root file system made by Debian's
`mmdebstrap` from bookworm's packages (the mirror apt uses on this host),
cached as a tarball keyed by a hash of its inputs (the packages, the files
written into it, the import's changes), and `docker import`ed as
`localhost/vertice-app-<name>:<key12>`, then also tagged `:latest` (what the
plans name, so the Docker driver uses the reference as it is). An operator
runs it once per engine (`make app-images`, or `python -m
vertice_driver_docker.appimages --base-url unix:///var/run/docker.sock`); the
docker plugin's tests run it for their own engine (the `app_images` session
fixture). The scripts and files of each image are in `apps/<name>/` beside
this module.

* `postgresql`: Debian's `postgresql-15`, as the `postgres` user; its
  entrypoint (`apps/postgresql/entrypoint.sh`) initialises a cluster on first
  start with the role `$POSTGRES_USER` (default `app`), its password
  `$POSTGRES_PASSWORD` (required: without it the container exits at once,
  saying so on stderr) and the database `$POSTGRES_DB` (default `app`),
  scram-sha-256 for host connections, `listen_addresses='*'`; then postgres in
  the foreground on 5432.
* `redis`: Debian's `redis-server` 7, as the `redis` user, in the foreground
  on 6379, `protected-mode no`, no persistence; `requirepass $REDIS_PASSWORD`
  when that is set.
* `apache`: Debian's `apache2` 2.4 as `www-data` (not root), in the foreground
  on `$HTTP_PORT` (default 80; the plan sets 8080, which an unprivileged user
  may bind), serving a page that names "vertice apache".
* `static`: Debian's `busybox-static` alone (as the `static` base), its `httpd`
  serving a welcome page on `$PORT` (default 8080) as uid 10001.
* `pyhello`: a Python web application (`apps/pyhello/wsgi.py`, whose
  docstring says what it answers: `GET /`, and `GET`/`POST /db` on the
  PostgreSQL database of `$DATABASE_URL`), built by the Python recipe itself
  (`builders.python.PythonBuilder`: gunicorn and pg8000 wheels fetched on the
  host with pip, installed into a venv on the `python` base image, uid 10001,
  `$PORT` default 8080). Its key hashes the base's reference and the app's
  files; its wheels are not cached (pip's own cache serves a rebuild).

**Cost**, measured on this machine (2 cores, the Debian mirror over the
network; the `python` base already on the engine): all five cold (four
mmdebstraps, the imports, pip and the pyhello build) 92 s (an earlier run,
the mirror slower, took 143 s for apache and postgresql alone); warm (the
tarballs cached, none of the images on the engine: four imports and the
pyhello build, its wheels from pip's cache) 13 s; all already on the engine
0.3 s. On the engine: postgresql 365 MB, pyhello 193 MB, apache 176 MB, redis
129 MB, static 2 MB; the cached tarballs take 657 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from vertice_driver_docker import baseimages
from vertice_driver_docker.baseimages import _PATH, _SLIM, Base

__all__ = ["APPS", "BUILT", "ROOTFS", "default_cache", "ensure", "main"]

#: Bumped when what this module makes changes in a way its inputs do not show.
SCRIPT_VERSION = 1
#: The images' repository: `localhost/vertice-app-<name>`.
REPOSITORY = "vertice-app"
#: Where the entrypoints go in every image.
ENTRYPOINT = "/usr/local/bin/vertice-entrypoint"
#: The unprivileged uid:gid of the images without a user of their own (as the recipes').
UNPRIVILEGED = "10001:10001"
#: Seconds the pyhello build may take.
BUILD_SECONDS = 600


def _text(app: str, name: str) -> str:
    return (resources.files("vertice_driver_docker") / "apps" / app / name).read_text()


def _entrypoint(app: str) -> tuple[str, int, str]:
    return (ENTRYPOINT, 0o755, _text(app, "entrypoint.sh"))


def _changes(user: str, port: int, *env: str, path: str = _PATH) -> tuple[str, ...]:
    """The import's changes: the environment, the user, the port and the entrypoint."""
    return (
        path,
        "ENV LANG=C.UTF-8",
        *env,
        f"USER {user}",
        f"EXPOSE {port}",
        f'ENTRYPOINT ["{ENTRYPOINT}"]',
        f"LABEL org.vertice.catalog.script-version={SCRIPT_VERSION}",
    )


def _rootfs_apps() -> dict[str, Base]:
    postgres_path = "ENV PATH=/usr/lib/postgresql/15/bin:" + _PATH.removeprefix("ENV PATH=")
    apps = (
        Base(
            "postgresql",
            ("postgresql-15",),
            "apt",
            (
                *_SLIM,
                # No cluster of the package's own (the entrypoint makes one in $PGDATA).
                '--customize-hook=rm -rf "$1/var/lib/postgresql/15" "$1/etc/postgresql/15"',
                '--customize-hook=mkdir -p "$1/var/lib/postgresql/data"',
                '--customize-hook=chroot "$1" chown -R postgres:postgres /var/lib/postgresql',
                '--customize-hook=chmod 700 "$1/var/lib/postgresql/data"',
            ),
            _changes("postgres", 5432, "ENV PGDATA=/var/lib/postgresql/data", path=postgres_path),
            files=(_entrypoint("postgresql"),),
            repository=REPOSITORY,
        ),
        Base(
            "redis",
            ("redis-server",),
            "apt",
            _SLIM,
            _changes("redis", 6379),
            files=(_entrypoint("redis"),),
            repository=REPOSITORY,
        ),
        Base(
            "apache",
            ("apache2",),
            "apt",
            _SLIM,
            _changes("www-data", 8080, "ENV HTTP_PORT=8080"),
            files=(
                _entrypoint("apache"),
                ("/etc/apache2/ports.conf", 0o644, _text("apache", "ports.conf")),
                (
                    "/etc/apache2/conf-enabled/zz-vertice.conf",
                    0o644,
                    _text("apache", "vertice.conf"),
                ),
                ("/var/www/html/index.html", 0o644, _text("apache", "index.html")),
            ),
            repository=REPOSITORY,
        ),
        Base(
            "static",
            ("busybox-static",),
            "extract",
            ('--extract-hook=chroot "$1" /bin/busybox --install -s /bin',),
            (
                "ENV PATH=/bin",
                "ENV PORT=8080",
                f"USER {UNPRIVILEGED}",
                "EXPOSE 8080",
                f'ENTRYPOINT ["{ENTRYPOINT}"]',
            ),
            files=(
                _entrypoint("static"),
                ("/www/index.html", 0o644, _text("static", "index.html")),
            ),
            repository=REPOSITORY,
        ),
    )
    return {app.name: app for app in apps}


#: The images made from Debian packages alone (name -> its rootfs recipe).
ROOTFS = _rootfs_apps()
#: The images the Python recipe builds from a tree beside this module (name -> the tree).
BUILT = {"pyhello": "apps/pyhello"}
#: Every catalog image's name.
APPS = tuple(sorted({*ROOTFS, *BUILT}))


def default_cache() -> Path:
    """`<the base images' cache>/../app-images` (`~/.cache/vertice/app-images`)."""
    return baseimages.default_cache().parent / "app-images"


def built_key(name: str) -> str:
    """The hash of what a built image is made from: its base and its tree's files."""
    digest = hashlib.sha256(f"{SCRIPT_VERSION}\0{baseimages.BASES['python'].reference}".encode())
    tree = resources.files("vertice_driver_docker") / BUILT[name]
    for entry in sorted(tree.iterdir(), key=lambda e: e.name):
        if entry.is_file() and not entry.name.endswith((".pyc", ".pyo")):
            digest.update(f"\0{entry.name}\0".encode() + entry.read_bytes())
    return digest.hexdigest()


def reference(name: str) -> str:
    """`localhost/vertice-app-<name>:<key12>`."""
    if name in ROOTFS:
        return ROOTFS[name].reference
    return f"localhost/{REPOSITORY}-{name}:{built_key(name)[:12]}"


def latest(name: str) -> str:
    """`localhost/vertice-app-<name>:latest`: what the catalog's plans run."""
    return f"localhost/{REPOSITORY}-{name}:latest"


def ensure(
    base_url: str,
    names: Sequence[str] = (),
    cache: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Make the catalog images `names` (all when empty) on the engine, tag each `:latest`;
    name -> its keyed reference."""
    from vertice_core.model.types import Positive
    from vertice_driver_docker import DockerCredentials, DockerSettings
    from vertice_driver_docker.client import Engine, translated

    cache = cache or default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    sources = baseimages.debian_sources()
    settings = DockerSettings(base_url=base_url, timeout=Positive(300))
    engine = Engine(settings, DockerCredentials())
    made: dict[str, str] = {}
    try:
        api = engine.client().api
        for name in names or APPS:
            if name in ROOTFS:
                baseimages.import_image(api, ROOTFS[name], cache, sources, log)
            else:
                _build(api, name, settings, cache, log)
            keyed = reference(name)
            repository, _ = latest(name).rsplit(":", 1)
            with translated("tag", keyed):
                api.tag(keyed, repository, "latest", force=True)
            made[name] = keyed
    finally:
        engine.close()
    return made


def _build(api: Any, name: str, settings: Any, cache: Path, log: Callable[[str], None]) -> None:
    """Build `name` with the Python recipe unless its keyed image is on the engine."""
    import docker.errors

    from vertice_core.builder import BuildJob
    from vertice_core.driver import RegionConfig
    from vertice_driver_docker import DockerCredentials
    from vertice_driver_docker.builders.python import PythonBuilder

    keyed = reference(name)
    with baseimages.locked(cache / f".{name}.lock"):
        try:
            api.inspect_image(keyed)
            log(f"{keyed} is already on the engine")
            return
        except docker.errors.ImageNotFound:
            pass
        baseimages.ensure(settings.base_url, ["python"], log=log)
        tree = resources.files("vertice_driver_docker") / BUILT[name]
        with tempfile.TemporaryDirectory(prefix=f"vertice-app-{name}-") as scratch:
            region = RegionConfig(
                name="catalog",
                cloud_type="docker",
                installation_id="catalog",
                settings=settings,
                credentials=DockerCredentials(),
                home=Path(scratch),
            )
            builder = PythonBuilder(region)
            job = BuildJob(
                build_id=f"catalog-{name}",
                tree=Path(str(tree)),
                commit="0" * 40,
                image=keyed,
                labels={"org.vertice.catalog.app": name},
                deadline=time.time() + BUILD_SECONDS,
                scratch=Path(scratch),
                recipe="python",
            )
            log(f"building {keyed} with the Python recipe from {tree}")
            try:
                builder.build(job, _Log(log))
            finally:
                builder.close()


class _Log:
    """A build log passed on line by line."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log

    def write(self, text: str) -> None:
        for line in text.splitlines():
            self._log(line)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m vertice_driver_docker.appimages --base-url URL [--cache DIR] [NAME...]`."""
    parser = argparse.ArgumentParser(
        prog="python -m vertice_driver_docker.appimages",
        description="Make the one-click catalog's application images offline and import them.",
    )
    parser.add_argument("--base-url", default="unix:///var/run/docker.sock", help="the engine")
    parser.add_argument("--cache", type=Path, help=f"tarball cache (default {default_cache()})")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"of {', '.join(APPS)} (default: all)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(APPS))
    if unknown:
        parser.error(f"no app image named {', '.join(unknown)} (there are {', '.join(APPS)})")
    try:
        made = ensure(args.base_url, args.names, args.cache)
    except Exception as exc:  # a CLI: say what failed, in one line
        print(f"app images: {exc}", file=sys.stderr)
        return 1
    for name, keyed in made.items():
        print(f"{keyed} {latest(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
