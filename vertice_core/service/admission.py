"""Admission: the plugins' say on a new or changed assembly, before anything is stored."""

from __future__ import annotations

import pluggy

from vertice_core.errors import Forbidden
from vertice_core.hooks import AdmissionRequest, refusal


def admit(plugins: pluggy.PluginManager, request: AdmissionRequest) -> None:
    """Count the request against the project's quotas (its `ledger`) and, with the balance
    policy enforced, its balance; then ask every admission hook; `Forbidden` with the
    first refusal's reason."""
    ledger = request.ledger
    reason = None
    if ledger is not None:
        reason = ledger.refusal(request.spec, request.previous, request.assembly_id)
        reason = reason or ledger.balance_refusal(request.spec, request.previous)
    reason = reason or refusal(plugins, request)
    if reason:
        raise Forbidden(f"the assembly was not admitted: {reason}")
