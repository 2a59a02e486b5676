"""An administrator's region endpoint is where the control plane sends signed requests at
once: a `file://` URL or a cloud's metadata service is refused by a real `vertice serve`
(issue 17, item 7), and nothing is stored."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow

ATTACKS = (
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://2852039166/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://metadata.google.internal/computeMetadata/v1/",
)


def test_file_and_metadata_endpoints_are_refused_and_nothing_is_stored(live_server):
    headers = {"Authorization": f"Bearer {live_server.token}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=10) as api:
        for n, endpoint in enumerate(ATTACKS):
            body = {"name": f"evil-{n}", "cloud_type": "sim", "endpoint": endpoint}
            answer = api.post("/v3/regions", json=body)
            assert answer.status_code == 422, (endpoint, answer.text)
            assert answer.json()["problems"][0]["path"] == "$.endpoint", answer.text
        names = [r["name"] for r in api.get("/v3/regions").json()["items"]]
        assert names == ["local"]
