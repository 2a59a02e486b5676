"""A builder's error reaches the build's project summarised (issue 17): the build, its log,
the assembly and its events say why it failed, never the region's endpoint, an address or
a response body the builder quoted; the full text is logged, for the operators."""

from __future__ import annotations

import json
import logging


def test_a_failed_build_shows_the_reason_not_the_builder_s_text(
    alice, make_reconciler, repository, source_url, until, failing_cloud, caplog
):
    failure = failing_cloud()  # the region's endpoint only: the builder fails
    repository({"SIMBUILD": f"fail {failure.message}\n"})
    uri = alice.declare("app", source={"url": source_url}).json["uri"]
    reconciler = make_reconciler()

    def settle():
        reconciler.run_build_pass()
        reconciler.builds.wait(10)
        reconciler.run_pass()

    with caplog.at_level(logging.WARNING, logger="vertice"):
        until(lambda: alice.get(uri).json["status"]["phase"] == "FAILED", settle)

    (build,) = alice.get("/v3/builds", params={"assembly": "app"}).json["items"]
    assert build["reason"] == "BuildStepFailed" and "502 Bad Gateway" in build["message"]
    log = alice.get(f"/v3/builds/{build['id']}/log").text
    seen = json.dumps([alice.get(uri).json, alice.get(f"{uri}/events").json, build, log])
    assert failure.leaks(seen) == []
    assert [r.levelno for r in caplog.records if failure.message in r.getMessage()] == [
        logging.WARNING
    ]
