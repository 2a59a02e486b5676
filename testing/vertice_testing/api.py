"""A `falcon.testing` client that sends one user's bearer token and JSON bodies."""

from __future__ import annotations

from typing import Any

import falcon.testing


class Api:
    """A `falcon.testing` client that sends one user's token and JSON bodies."""

    def __init__(self, client: falcon.testing.TestClient, token: str, name: str) -> None:
        self.client = client
        self.token = token
        self.name = name

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.client.simulate_get(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> falcon.testing.Result:
        if body is not None:
            kwargs["json"] = body
        return self.client.simulate_post(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, path: str, body: Any = None, **kwargs: Any) -> falcon.testing.Result:
        if body is not None:
            kwargs["json"] = body
        return self.client.simulate_put(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def patch(self, path: str, operations: Any, **kwargs: Any) -> falcon.testing.Result:
        import json

        headers = {"Content-Type": "application/json-patch+json", **kwargs.pop("headers", {})}
        return self.client.simulate_patch(
            path, body=json.dumps(operations), headers=self.headers(headers), **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.client.simulate_delete(
            path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def replace(self, uri: str, path: str, value: Any) -> None:
        """PATCH one `replace` operation onto the assembly at `uri`; it must succeed."""
        result = self.patch(uri, [{"op": "replace", "path": path, "value": value}])
        assert result.status_code == 200, result.json

    def status(self, uri: str) -> dict[str, Any]:
        """The `status` of the assembly at `uri`."""
        status: dict[str, Any] = self.get(uri).json["status"]
        return status

    def condition(self, uri: str, kind: str) -> dict[str, Any]:
        """One condition (`Ready`, `Synced`) of the assembly at `uri`; empty before the first."""
        conditions = self.status(uri)["conditions"]
        return next((c for c in conditions if c["type"] == kind), {})

    def declare(self, name: str = "web-1", **fields: Any) -> falcon.testing.Result:
        """POST a valid assembly declaration (fields override the defaults)."""
        body = {
            "name": name,
            "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
            "region": "local",
            "flavor": "small",
            **fields,
        }
        return self.post("/v3/assembly_factory", body)
