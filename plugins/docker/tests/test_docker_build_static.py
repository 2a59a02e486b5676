"""The static site recipe against a real engine: the folder with index.html is served on 8080."""

from __future__ import annotations

import pytest

from vertice_core.builder import BuildFailed
from vertice_driver_docker.building import NODE, STATIC


@pytest.mark.parametrize("folder", ["", "public", "dist"])
def test_the_site_builds_and_is_served_on_8080(
    tmp_path, folder, base_images, make_builder, make_job, build_log, engine_client, serve
):
    tree = tmp_path / "tree"
    site = tree / folder
    site.mkdir(parents=True)
    (site / "index.html").write_text(f"<h1>a static site in {folder or 'the root'}</h1>\n")
    (site / "about.txt").write_text("about\n")
    (site / "about.txt").chmod(0o600)  # the image's user (10001) reads it all the same
    (tree / "README.md").write_text("not served when the site is in a folder\n")
    builder = make_builder(STATIC)
    assert builder.detect(tree)
    job = make_job(tree)

    assert builder.build(job, build_log) == job.image

    assert f"FROM {base_images['static']}" in build_log.text
    config = engine_client.images.get(job.image).attrs["Config"]
    assert dict(job.labels).items() <= config["Labels"].items()
    assert config["Cmd"] == ["/bin/sh", "-c", 'exec httpd -f -p "$PORT" -h /www']
    assert "8080/tcp" in config["ExposedPorts"]
    assert serve(job.image) == f"<h1>a static site in {folder or 'the root'}</h1>\n"
    assert serve(job.image, "/about.txt") == "about\n"


def test_detect_wants_an_index_html_in_a_real_folder_of_the_tree(tmp_path, make_builder):
    builder = make_builder(STATIC)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("not the tree's\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "public").symlink_to(outside)
    assert not builder.detect(tree)
    (tree / "dist").mkdir()
    (tree / "dist" / "index.html").write_text("the tree's\n")
    assert builder.detect(tree)
    assert NODE.priority < STATIC.priority  # a Node project's public/ is its server's


def test_a_tree_without_a_site_fails_with_no_entry_point(
    tmp_path, base_images, make_builder, make_job, build_log
):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "index.htm").write_text("almost\n")

    with pytest.raises(BuildFailed) as failed:
        make_builder(STATIC).build(make_job(tree), build_log)

    assert failed.value.reason == "NoEntryPoint"
    assert "index.html, public/index.html, dist/index.html" in failed.value.message
