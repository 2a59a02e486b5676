"""Swagger UI for `/docs`: npm's `swagger-ui-dist`, pinned, verified, cached locally.

`python -m vertice_api.ui.vendor` (run by `make install`) downloads the tarball of
`VERSION` from the npm registry, checks it against `INTEGRITY` (the registry's
`dist.integrity`, a sha512), and extracts only `FILES` into
`$XDG_CACHE_HOME/vertice/swagger-ui-dist-<VERSION>/` (`~/.cache` by default), with
a `SHA256SUMS` of what it wrote. It is idempotent: when every file is there and
matches that list, nothing is downloaded. Nothing from a CDN is ever loaded by a
browser: `/docs` serves these files itself (`vertice_api.ui.serve`).

To move to another version, set `VERSION` and `INTEGRITY` from
`https://registry.npmjs.org/swagger-ui-dist/<version>` (`dist.integrity`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

PACKAGE = "swagger-ui-dist"
VERSION = "5.35.0"
#: `dist.integrity` of the version on the npm registry (a Subresource Integrity string).
INTEGRITY = "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="  # noqa: E501
REGISTRY = "https://registry.npmjs.org"
#: What `/docs` loads (the bundle, its stylesheet, the icons) and the licences that go with it.
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "favicon-16x16.png",
    "favicon-32x32.png",
    "LICENSE",
    "NOTICE",
    "swagger-ui-bundle.js.LICENSE.txt",
)
#: Of `FILES`, what the page cannot work without.
REQUIRED = ("swagger-ui-bundle.js", "swagger-ui.css")
MANIFEST = "SHA256SUMS"
#: The most bytes a tarball may have (this version's is 3.4 MB).
MAX_TARBALL = 32 * 1024 * 1024
TIMEOUT = 60.0

Fetch = Callable[[str], bytes]


class VendorError(Exception):
    """The files could not be had: a download, an integrity or a tarball problem."""


def tarball_url(version: str = VERSION) -> str:
    """Where the registry keeps the tarball of `version`."""
    return f"{REGISTRY}/{PACKAGE}/-/{PACKAGE}-{version}.tgz"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of this version's files: `$XDG_CACHE_HOME` (else `~/.cache`)/vertice/..."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vertice" / f"{PACKAGE}-{VERSION}"


def available(folder: Path | None = None) -> bool:
    """Whether the files `/docs` needs are in `folder` (cheap: no hashing)."""
    where = cache_dir() if folder is None else folder
    return all((where / name).is_file() for name in REQUIRED)


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise `VendorError` unless `data` has the sha512 that `integrity` (`sha512-<b64>`) says."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise VendorError(f"unsupported integrity {integrity!r}: a sha512-... string is needed")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise VendorError(
            f"the tarball's sha512 is {actual}, not the pinned {expected}: refused (nothing "
            "was extracted)"
        )


def extract(data: bytes, folder: Path, names: tuple[str, ...] = FILES) -> dict[str, str]:
    """Write the regular files `package/<name>` of the tarball `data` into `folder`, each
    under its own fixed name (nothing else of the archive is written anywhere); returns
    name -> sha256. A name the archive lacks is a `VendorError`."""
    import tarfile  # here, as argparse in `main`: the API's workers import this module

    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                name = member.name.removeprefix("package/")
                if name in names and member.isfile() and member.name == f"package/{name}":
                    handle = archive.extractfile(member)
                    if handle is not None:
                        found[name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise VendorError(f"the tarball cannot be read: {exc}") from None
    missing = [name for name in names if name not in found]
    if missing:
        raise VendorError(f"the tarball lacks {', '.join(missing)}")
    folder.mkdir(parents=True, exist_ok=True)
    sums: dict[str, str] = {}
    for name in names:
        _write(folder / name, found[name])
        sums[name] = hashlib.sha256(found[name]).hexdigest()
    # The manifest last: a folder without it (an extraction cut short) is fetched again.
    _write(folder / MANIFEST, "".join(f"{sums[n]}  {n}\n" for n in names).encode())
    return sums


def verified(folder: Path, names: tuple[str, ...] = FILES) -> bool:
    """Whether every file is in `folder` with the sha256 its manifest recorded."""
    try:
        lines = (folder / MANIFEST).read_text().splitlines()
    except OSError:
        return False
    recorded: dict[str, str] = {}
    for line in lines:
        digest, _, name = line.partition("  ")
        recorded[name] = digest
    for name in names:
        path = folder / name
        if name not in recorded or not path.is_file():
            return False
        if hashlib.sha256(path.read_bytes()).hexdigest() != recorded[name]:
            return False
    return True


def download(url: str) -> bytes:
    """The body at `url` (at most `MAX_TARBALL` bytes)."""
    import httpx

    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.stream("GET", url, timeout=TIMEOUT, follow_redirects=True) as response:
            if response.status_code != 200:
                raise VendorError(f"GET {url} answered {response.status_code}")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_TARBALL:
                    raise VendorError(f"GET {url} sent more than {MAX_TARBALL} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise VendorError(f"GET {url} failed: {exc}") from None
    return b"".join(chunks)


def install(
    data: bytes, folder: Path, integrity: str = INTEGRITY, names: tuple[str, ...] = FILES
) -> dict[str, str]:
    """Check the tarball `data` against `integrity`, then extract `names` into `folder`."""
    check_integrity(data, integrity)
    return extract(data, folder, names)


def ensure(folder: Path | None = None, fetch: Fetch | None = None, *, force: bool = False) -> bool:
    """Make the files present and verified in `folder` (default `cache_dir()`), fetched
    with `fetch` (default `download`); returns whether anything was downloaded (not when
    they already are, unless `force`)."""
    where = cache_dir() if folder is None else folder
    if not force and verified(where):
        return False
    install((fetch or download)(tarball_url()), where, INTEGRITY)
    return True


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, so a reader never sees
    half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m vertice_api.ui.vendor",
        description=f"Fetch {PACKAGE} {VERSION} (verified against its pinned sha512) for /docs.",
    )
    parser.add_argument("--force", action="store_true", help="download even when present")
    parser.add_argument("--quiet", action="store_true", help="print nothing when present")
    args = parser.parse_args(argv)
    where = cache_dir()
    try:
        fetched = ensure(where, force=args.force)
    except (VendorError, OSError) as exc:
        print(f"error: {PACKAGE} {VERSION}: {exc}", file=sys.stderr)
        return 1
    if fetched:
        print(f"{PACKAGE} {VERSION} verified and extracted into {where}")
    elif not args.quiet:
        print(f"{PACKAGE} {VERSION} already in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
