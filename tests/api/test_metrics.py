"""`GET /metrics`: the control plane's own metrics in Prometheus' text format."""

from __future__ import annotations

import re

import pytest


def value(text: str, series: str) -> float:
    """The value of one series line (`name{labels}`) in an exposition."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert match, f"{series} not in:\n{text}"
    return float(match.group(1))


def test_metrics_need_no_token_and_count_requests_calls_and_phases(
    client, alice, make_reconciler, converge, phases
):
    uri = alice.declare("web-1").headers["location"]
    assert alice.get(uri).status_code == 200
    reconciler = make_reconciler()
    converge(reconciler, lambda: phases() == {"RUNNING": 1})
    reconciler.run_route_pass()
    scraped = client.simulate_get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert (
        value(
            text,
            'vertice_http_requests_total{method="POST",route="/v3/assembly_factory",status="201"}',
        )
        == 1
    )
    assert (
        value(
            text,
            'vertice_http_requests_total{method="GET",route="/v3/assembly/{assembly_id}",status="200"}',
        )
        >= 1
    )
    assert (
        value(text, 'vertice_driver_calls_total{cloud_type="sim",outcome="ok",verb="create"}') == 1
    )
    assert value(text, 'vertice_reconcile_passes_total{outcome="ok",region="local"}') >= 2
    # the route controller's passes are its own: the assembly passes stay comparable
    assert value(text, 'vertice_route_passes_total{outcome="ok",router="(no router)"}') == 1
    assert 'vertice_reconcile_passes_total{outcome="ok",region="(no router)"}' not in text
    assert value(text, 'vertice_assemblies{phase="RUNNING"}') == 1
    assert value(text, 'vertice_db_statements_total{kind="write"}') > 0
    assert "vertice_driver_call_seconds_bucket" in text
    assert "vertice_reconcile_queue_depth" in text


@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")  # the methods sent on purpose
def test_label_values_come_from_fixed_sets_never_from_the_request(client):
    """A client's method or path is never a label value: `other` and `unmatched` stand in."""
    assert client.simulate_request("ZZTOP", "/no-such-path-1").status_code == 404
    assert client.simulate_request("BREW", "/healthz").status_code == 400
    assert client.simulate_get("/no-such-path-2").status_code == 404
    assert client.simulate_options("/healthz").status_code == 200
    text = client.simulate_get("/metrics").text
    assert "ZZTOP" not in text and "BREW" not in text and "no-such" not in text
    for series in (
        'method="other",route="unmatched",status="404"',
        'method="other",route="/healthz",status="400"',
        'method="GET",route="unmatched",status="404"',
        'method="OPTIONS",route="/healthz",status="200"',
    ):
        assert value(text, f"vertice_http_requests_total{{{series}}}") == 1
