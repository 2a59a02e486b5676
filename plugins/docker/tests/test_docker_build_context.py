"""The build context as written: what goes in, what stays out, and that no link is followed."""

from __future__ import annotations

import os
import tarfile

import pytest

from vertice_core.builder import BuildFailed
from vertice_driver_docker.builders.context import ContextWriter


def members(path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(path) as tar:
        return {member.name: member for member in tar.getmembers()}


def test_git_and_ignored_files_stay_out_and_links_go_in_as_links(tmp_path):
    tree = tmp_path / "tree"
    (tree / ".git").mkdir(parents=True)
    (tree / ".git" / "config").write_text("[remote] token")
    (tree / "docs").mkdir()
    (tree / "docs" / "keep.md").write_text("keep")
    (tree / "secret.env").write_text("nope")
    (tree / ".dockerignore").write_text("# comment\n*.env\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "host-secret").write_text("host secret")
    (tree / "file-link").symlink_to(outside / "host-secret")
    (tree / "dir-link").symlink_to(outside)
    os.mkfifo(tree / "fifo")

    with ContextWriter(tmp_path / "context.tar") as writer:
        writer.add_tree(tree, "app/")
        writer.add_file("Dockerfile", b"FROM scratch\n")

    found = members(tmp_path / "context.tar")
    assert set(found) == {
        "app",
        "app/.dockerignore",
        "app/docs",
        "app/docs/keep.md",
        "app/file-link",
        "app/dir-link",
        "Dockerfile",
    }
    assert found["app/file-link"].issym()
    assert found["app/file-link"].linkname == str(outside / "host-secret")
    assert found["app/dir-link"].issym()
    assert {(m.uid, m.gid, m.uname) for m in found.values()} == {(0, 0, "")}
    with tarfile.open(tmp_path / "context.tar") as tar:
        assert b"host secret" not in b"".join(
            tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()
        )


def test_past_the_limit_the_context_is_too_large(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "big").write_bytes(b"x" * 100_000)

    with (
        pytest.raises(BuildFailed) as failed,
        ContextWriter(tmp_path / "context.tar", limit=50_000) as writer,
    ):
        writer.add_tree(tree)

    assert failed.value.reason == "ContextTooLarge"
    assert "(at big)" in failed.value.message
