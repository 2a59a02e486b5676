"""Building the `InstanceSpec` a driver creates from, out of the stored declaration."""

from __future__ import annotations

from vertice_core.crypto import SecretBox
from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    InstanceSpec,
    SizeSpec,
)
from vertice_core.model.camp import Plan
from vertice_core.store.repositories.work import SpecRow
from vertice_core.store.tables import FlavorRow


def managed_tags(
    installation_id: str, assembly_id: str, key: str, project_id: str
) -> dict[str, str]:
    """The tags every managed instance carries."""
    return {
        TAG_INSTALLATION: installation_id,
        TAG_ASSEMBLY: assembly_id,
        TAG_KEY: key,
        TAG_PROJECT: project_id,
    }


def instance_spec(
    row: SpecRow,
    key: str,
    *,
    ordinal: int = 0,
    plan: Plan,
    flavor: FlavorRow,
    project: str,
    installation_id: str,
    box: SecretBox,
) -> InstanceSpec:
    """The spec of the instance `key` (at `ordinal`) of the assembly in `row`.

    The instance is named after the assembly, with `-<ordinal>` from the second on, so
    a cloud's console tells the replicas apart.
    """
    credential = row.spec.get("credential") or {}
    sealed = credential.get("sealed_password") or ""
    return InstanceSpec(
        key=key,
        assembly_id=row.id,
        name=row.name if ordinal == 0 else f"{row.name}-{ordinal}",
        project=project,
        plan=plan.name,
        image=plan.image(),
        size=SizeSpec(flavor.name, flavor.cpu, flavor.ram, flavor.disk),
        tags=managed_tags(installation_id, row.id, key, row.project_id),
        ssh_public_key=credential.get("public_key") or "",
        root_password=box.open(sealed) if sealed else "",
        ports=tuple(plan.ports()),
        env=plan.settings("env"),
        metrics_port=row.spec.get("metrics_port") or plan.metrics_port() or 0,
    )
