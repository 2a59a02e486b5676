"""Build contexts: a source tree, and a recipe's generated files, as the tar the engine reads.

The SDK's `utils.tar` would do for a trusted folder; a user's tree is not one,
so the context is written here, to a file in the build's scratch folder:

* **Nothing outside the tree is read.** Symbolic links go in as links (the
  engine resolves them inside the context or the image, never on this host);
  folders behind links are not walked; files are opened with `O_NOFOLLOW` and
  must still be regular files when opened (a file swapped for a link or a
  FIFO after the walk fails the build instead of reading elsewhere or
  hanging). Sockets, FIFOs and devices are left out.
* **Bounded.** Past `MAX_CONTEXT_BYTES` of tar the build fails with
  `ContextTooLarge` before the engine sees a byte (a committed data set or
  `node_modules` would otherwise fill the engine's disk).
* **`.git` never goes in**; a `.dockerignore` at the tree's root is honoured
  with the SDK's own pattern matcher (docker's semantics, `!` exceptions too).
* Owners are written as root (0:0, no names): the host's users stay here. For
  the recipes (`readable`), modes are widened so that their unprivileged user
  can read every file (a checkout's 0600 file would otherwise be a 403).
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path
from types import TracebackType

import docker.utils.build

from vertice_core.builder import BuildFailed

__all__ = ["MAX_CONTEXT_BYTES", "ContextWriter"]

#: The largest build context sent to an engine (bytes of tar).
MAX_CONTEXT_BYTES = 200 * 1024 * 1024
#: Left out of every context, whatever `.dockerignore` says.
ALWAYS_EXCLUDED = (".git",)


class ContextWriter:
    """Writes one build context (an uncompressed tar) to `path`, at most `limit` bytes
    (`MAX_CONTEXT_BYTES` unless given)."""

    def __init__(self, path: Path, limit: int | None = None, readable: bool = False) -> None:
        self.path = path
        self.limit = MAX_CONTEXT_BYTES if limit is None else limit
        #: Make every file and folder readable by all (and executables executable by all):
        #: the recipes' images run as an unprivileged user, whatever the checkout's modes.
        self.readable = readable
        self._tar = tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self._names: set[str] = set()
        self._closed = False

    def __enter__(self) -> ContextWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def size(self) -> int:
        """Bytes of tar written so far."""
        return self._tar.offset

    def add_tree(self, tree: Path, prefix: str = "", exclude: tuple[str, ...] = ()) -> None:
        """Add the files of `tree` (as `prefix` + their path in it), minus the ignored ones."""
        root = tree.resolve()
        patterns = [*_dockerignore(root), *ALWAYS_EXCLUDED, *exclude]
        if prefix:
            self._folder(prefix.rstrip("/"), 0o755)
        for relative in sorted(docker.utils.build.exclude_paths(root, patterns)):
            self._add_path(root, relative, prefix + relative)

    def add_file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        """Add a file made here (a generated Dockerfile, a sanitized requirements list)."""
        self._check(name, len(data))
        info = _info(name)
        info.size, info.mode = len(data), mode
        self._tar.addfile(info, io.BytesIO(data))

    def add_folder(self, folder: Path, prefix: str) -> None:
        """Add a folder this host made (fetched wheels, `node_modules`), without ignore rules."""
        root = folder.resolve()
        self._folder(prefix.rstrip("/"), 0o755)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                relative = os.path.relpath(os.path.join(dirpath, name), root)
                self._add_path(root, relative, prefix + relative)

    def close(self) -> None:
        """Finish the tar (its end blocks)."""
        if not self._closed:
            self._closed = True
            self._tar.close()

    # -- entries --

    def _add_path(self, root: Path, relative: str, name: str) -> None:
        full = os.path.join(root, relative)
        try:
            found = os.lstat(full)
        except FileNotFoundError:
            return  # removed since the walk
        if stat.S_ISDIR(found.st_mode):
            self._folder(name, self._mode(stat.S_IMODE(found.st_mode), 0o555))
        elif stat.S_ISLNK(found.st_mode):
            info = _info(name)
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(full)
            self._check(name, 0)
            self._tar.addfile(info)
        elif stat.S_ISREG(found.st_mode):
            self._regular(full, name)
        # sockets, FIFOs, devices: not content

    def _regular(self, full: str, name: str) -> None:
        try:
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            raise BuildFailed(
                f"{name}: cannot be read into the build context ({exc.strerror})",
                reason="ContextUnreadable",
            ) from None
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):
                raise BuildFailed(f"{name}: not a regular file", reason="ContextUnreadable")
            self._check(name, opened.st_size)
            info = _info(name)
            mode = stat.S_IMODE(opened.st_mode)
            info.size, info.mode = (
                opened.st_size,
                self._mode(mode, 0o555 if mode & 0o100 else 0o444),
            )
            info.mtime = int(opened.st_mtime)
            self._tar.addfile(info, handle)

    def _folder(self, name: str, mode: int) -> None:
        if name in self._names:
            return
        self._check(name, 0)
        info = _info(name)
        info.type, info.mode = tarfile.DIRTYPE, mode
        self._tar.addfile(info)

    def _mode(self, mode: int, readable: int) -> int:
        return mode | readable if self.readable else mode

    def _check(self, name: str, size: int) -> None:
        """Count an entry (header and blocks) against the limit before writing it."""
        self._names.add(name)
        blocks = -(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
        if self._tar.offset + 3 * tarfile.BLOCKSIZE + blocks > self.limit:
            megabytes = self.limit // (1024 * 1024)
            raise BuildFailed(
                f"the build context is larger than {megabytes} MiB (at {name}); leave large "
                "files out with a .dockerignore",
                reason="ContextTooLarge",
            )


def _info(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _dockerignore(root: Path) -> list[str]:
    """The patterns of `root/.dockerignore` (none when there is none, or it is not a file)."""
    path = root / ".dockerignore"
    if path.is_symlink() or not path.is_file():
        return []
    lines = path.read_text(errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
