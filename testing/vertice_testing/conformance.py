"""What the schemathesis runs against a real `vertice serve` allow: shared, so they agree.

The stateless run (`tests/api/test_schemathesis.py`) and the stateful one
(`tests/abuse/test_stateful.py`) send generated requests and check every answer
against the document; both allow the same semantic 422s and spare the same user.
Plain data (schemathesis' config keys), so the harness does not depend on schemathesis.
"""

from __future__ import annotations

from typing import Any

#: The user `vertice init` creates; a run must not delete the user whose token it sends.
ADMIN = "admin"

#: Operations whose validity depends on data a JSON Schema cannot know: whether the
#: named region, flavor, project or driver exists, what a driver's settings are, whether
#: a route's tls mode matches the certificate it carries, a scaler's `min` is at most its
#: `max` and its query is more than blanks, a usage range's `to` comes after its `from`
#: (within 366 days, on days that exist), a credit is not zero and has at most 6
#: decimals, a plan input's default is of its type (and only a secret one is generated),
#: a snapshot's region's driver claims `snapshot` and its instance exists, a disk's
#: region's driver claims `disks`, its attachment names an instance of an assembly that
#: runs there and its new size is no smaller,
#: a build's (or a push webhook's) assembly is built from source, whether an SSH key's
#: base64 body holds a key, and whether a JSON Patch applies to the assembly as it is (an
#: index its list has, a key it holds; RFC 5789's 422 when not). A schema-valid request
#: may get a 422 there (naming the field); everywhere else a schema-valid request must
#: succeed or be a 401/403/404/409.
SEMANTIC_422 = [
    "GET /v3/flavors",
    "POST /v3/plan_factory",
    "PUT /v3/plan/{name}",
    "POST /v3/assembly_factory",
    "PATCH /v3/assembly/{assembly_id}",
    "POST /v3/regions",
    "PUT /v3/regions/{name}",
    "POST /v3/flavors",
    "PUT /v3/flavors/{name}",
    "POST /v3/sshkeys",
    "POST /v3/routes",
    "POST /v3/scalers",
    "PATCH /v3/scalers/{scaler_id}",
    "POST /v3/builds",
    "POST /v3/assembly/{assembly_id}/webhook",
    "GET /v3/billing/usage",
    "POST /v3/balances/{project}/credits",
    "POST /v3/assembly/{assembly_id}/snapshots",
    "POST /v3/disks",
    "PATCH /v3/disks/{disk_id}",
]

#: Operations that honour `If-Match`: a schema-valid ETag that names no current version of
#: the assembly is answered 412.
CONDITIONAL_412 = ["PATCH /v3/assembly/{assembly_id}", "DELETE /v3/assembly/{assembly_id}"]


def _accepting(names: list[str], *statuses: str) -> dict[str, Any]:
    """The `operations` entry of a schemathesis config that lets the operations `names`
    answer `statuses` (and the usual refusals) to a schema-valid request."""
    expected = ["2xx", "401", "403", "404", "409", *statuses]
    return {
        "include-name": names,
        "checks": {"positive_data_acceptance": {"expected-statuses": expected}},
    }


#: The `operations` entries of a schemathesis config that allow those answers (the first
#: entry that names an operation decides; a patch may be a 412 or a 422).
SEMANTIC_OPERATIONS: list[dict[str, Any]] = [
    _accepting(CONDITIONAL_412, "412", "422"),
    _accepting(SEMANTIC_422, "422"),
]
