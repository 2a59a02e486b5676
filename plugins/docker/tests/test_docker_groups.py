"""Tests that make images are put in the docker load group by this folder's conftest (its
`LOAD_GROUP`): two builds side by side broke each other's cache layers."""

LOAD_GROUP = "docker-load"


def test_an_image_making_test_is_in_the_load_group(request, make_job):
    assert request.node.get_closest_marker("xdist_group").args == (LOAD_GROUP,)
    if hasattr(request.config, "workerinput") and request.config.getvalue("loadgroup"):
        assert request.node.nodeid.endswith(f"@{LOAD_GROUP}"), request.node.nodeid
