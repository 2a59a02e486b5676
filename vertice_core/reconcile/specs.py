"""Building the `InstanceSpec` a driver creates from, out of the stored declaration."""

from __future__ import annotations

from vertice_core.crypto import SecretBox
from vertice_core.driver import (
    TAG_ASSEMBLY,
    TAG_INSTALLATION,
    TAG_KEY,
    TAG_PROJECT,
    TAG_REVISION,
    InstanceSpec,
    SizeSpec,
)
from vertice_core.model.camp import Plan
from vertice_core.program import Program
from vertice_core.reconcile.decision import instance_key
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
    a cloud's console tells the replicas apart. The assembly's environment variables
    (opened from their sealed form) are added over the plan's `::env`. An assembly built
    from source runs its release's image (`vertice_core.building`), and its instances
    carry the release's revision as a tag, so each shows which build it runs. An assembly
    restored from a snapshot launches from the snapshot's image (`InstanceSpec.image_id`).
    """
    credential = row.spec.get("credential") or {}
    sealed = credential.get("sealed_password") or ""
    command, args = _command_and_args(row, plan)
    given = {**(row.spec.get("inputs") or {}),
             **_opened(box, row.spec.get("sealed_inputs") or {})}  # fmt: skip
    tags = managed_tags(installation_id, row.id, key, row.project_id)
    release = row.spec.get("release")
    program = None
    if release:  # built from source: the release's image, and which release it is
        tags[TAG_REVISION] = str(release["revision"])
        # In a VM region, the build made a program the VM fetches at boot, on the plan's
        # operating-system image (vertice_core.program).
        program = Program.parse(release["image"])
    return InstanceSpec(
        key=key,
        assembly_id=row.id,
        name=row.name if ordinal == 0 else f"{row.name}-{ordinal}",
        project=project,
        plan=plan.name,
        image=release["image"] if release and program is None else plan.image(),
        size=SizeSpec(flavor.name, flavor.cpu, flavor.ram, flavor.disk),
        tags=tags,
        ssh_public_key=credential.get("public_key") or "",
        root_password=box.open(sealed) if sealed else "",
        ports=tuple(plan.ports(given)),
        env={
            **plan.settings("env"),
            **_input_env(plan, given),
            **_opened(box, row.spec.get("sealed_bound_env") or {}),
            **_opened(box, row.spec.get("sealed_env") or {}),
        },
        command=command,
        args=args,
        metrics_port=row.spec.get("metrics_port") or plan.metrics_port() or 0,
        program=program,
        image_id=str((row.spec.get("snapshot") or {}).get("image_id") or ""),
        adopt_id=adopted_id(row, key),
    )


def adopted_id(row: SpecRow, key: str) -> str:
    """The cloud id the create of `key` adopts: that of the assembly's `adopt`, for its
    first instance only (ordinal 0, first incarnation). A replacement, or another
    ordinal once scaled, is created as any other: the adoption was carried out once."""
    adopt = row.spec.get("adopt") or {}
    return str(adopt.get("cloud_id") or "") if key == instance_key(row.id, 1, 0) else ""


def _command_and_args(
    row: SpecRow, plan: Plan
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The command and args an instance runs: the assembly's over the plan's over the image's.

    Each layer is like an image's entrypoint and default arguments: a layer that gives a
    command drops the args of the layers below it (as Docker and Kubernetes drop the
    image's `CMD` when a command is given), while args alone replace only the args.
    """
    command, args = _argv(row.spec.get("command")), _argv(row.spec.get("args"))
    if command is not None:
        return command, args
    return plan.command(), args or plan.args()


def _input_env(plan: Plan, given: dict[str, str]) -> dict[str, str]:
    """The plan's inputs as environment variables (their values may be secrets)."""
    return {i.variable: given[i.name] for i in plan.inputs if i.name in given}


def _argv(stored: list[str] | None) -> tuple[str, ...] | None:
    return tuple(stored) if stored else None


def _opened(box: SecretBox, sealed: dict[str, str]) -> dict[str, str]:
    """The declared environment variables, decrypted (never log them)."""
    return {name: box.open(token) for name, token in sealed.items()}
