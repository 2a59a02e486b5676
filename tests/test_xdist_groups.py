"""`make test` runs `pytest -n 2 --dist loadgroup`: tests marked `xdist_group(name)` run on one
worker, one after the other. The docker tests that load the machine or make images rely on it
(`plugins/docker/tests/conftest.py`). xdist groups by appending `@name` to the node id; when a
pytest release changed where the id is kept, the mark was silently ignored and image builds
ran side by side ("unknown parent image ID"). This fails when grouping stops working."""

import pytest

GROUP = "xdist-groups-check"


def _grouping(config: pytest.Config) -> bool:
    """Whether this is an xdist worker of a `--dist loadgroup` run (else nothing to check)."""
    return hasattr(config, "workerinput") and bool(config.getvalue("loadgroup"))


@pytest.mark.xdist_group(GROUP)
@pytest.mark.parametrize("n", [1, 2])
def test_a_grouped_test_carries_its_group_in_its_node_id(request, n):
    if not _grouping(request.config):
        pytest.skip("not an xdist worker of a --dist loadgroup run")
    assert request.node.nodeid.endswith(f"@{GROUP}"), request.node.nodeid
