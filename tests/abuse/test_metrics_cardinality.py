"""Issue 17, item 3: metrics cardinality.

Unauthenticated requests with random HTTP methods and paths must not become label values of
`/metrics`: each new value is a new series in every worker's file and every scrape, for good
(2,000 such requests grew `/metrics` from 92 KB to 3.6 MB). Against the real server, 300 such
requests may add only the few fixed series that `method="other"` and `route="unmatched"` name.
"""

from __future__ import annotations

import http.client
import re
import secrets
from urllib.parse import urlsplit

from vertice_testing.server import LiveServer
from vertice_testing.waiting import until

#: How many requests each kind of the attack sends (four kinds).
EACH = 75
#: How much `/metrics` may grow during the attack (bytes): a few fixed series, not one a request
#: (measured: 6.7 KB with the fix, from the four new series and their histogram buckets, and
#: 411 KB without it; the margin leaves room for a series the reconciler adds meanwhile).
GROWTH = 20_000
#: One `vertice_http_requests_total` series: its labels (sorted by name) and its value.
REQUESTS = re.compile(
    r'^vertice_http_requests_total\{method="([^"]*)",route="([^"]*)",status="([^"]*)"\} (\S+)$',
    re.M,
)


def send(server: LiveServer, method: str, path: str) -> int:
    """One request without a token, on its own connection; its status."""
    conn = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def scrape(server: LiveServer) -> str:
    """The text of `/metrics` (public: no token)."""
    conn = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=10)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, body
        return body
    finally:
        conn.close()


def random_method() -> str:
    """A method no one registered: uppercase (gunicorn refuses lowercase), 12 characters."""
    return "Z" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(11))


def test_random_methods_and_paths_add_only_fixed_series(live_server):
    # the reconciler's first pass adds its own series: the baseline comes after it
    until(lambda: "vertice_reconcile_passes_total{" in scrape(live_server), "a first pass", 15)
    before = scrape(live_server)
    methods = [random_method() for _ in range(3 * EACH)]
    paths = [f"/no-such-{secrets.token_hex(8)}" for _ in range(2 * EACH)]
    ids = [secrets.token_hex(8) for _ in range(EACH)]
    attack = {  # each kind: its requests and the series it should count them in
        ("other", "unmatched", "404"): [(methods[i], paths[i]) for i in range(EACH)],
        ("GET", "unmatched", "404"): [("GET", paths[EACH + i]) for i in range(EACH)],
        ("other", "/healthz", "400"): [(methods[EACH + i], "/healthz") for i in range(EACH)],
        ("other", "/v3/assembly/{assembly_id}", "401"): [
            (methods[2 * EACH + i], f"/v3/assembly/{ids[i]}") for i in range(EACH)
        ],
    }
    for (_, _, status), requests in attack.items():
        assert {send(live_server, method, path) for method, path in requests} == {int(status)}
    after = scrape(live_server)

    # (a) nothing the client chose is a label value
    chosen = {*methods, *paths, *ids}
    values = re.findall(r'="([^"]*)"', after)
    leaked = [value for value in values if any(c in value for c in chosen)]
    assert not leaked, f"{len(leaked)} label values hold the client's input, e.g. {leaked[:3]}"
    # (b) every random method is counted as `other`: one series a route and status, no more
    counted = {tuple(labels): float(count) for *labels, count in REQUESTS.findall(after)}
    others = {labels: count for labels, count in counted.items() if labels[0] == "other"}
    assert others == {labels: EACH for labels in attack if labels[0] == "other"}
    assert counted[("GET", "unmatched", "404")] == EACH
    # (c) so `/metrics` grew by a few fixed series, not by one a request
    growth = len(after.encode()) - len(before.encode())
    assert growth < GROWTH, f"/metrics grew by {growth} bytes ({len(before)} before)"
