"""Assemblies: what a user declares, and the spec vertice keeps for the reconciler.

`AssemblyDeclaration` is the body of `POST /v3/assembly_factory`. The service
layer resolves it (plan, region, flavor, launch credential) into an
`AssemblySpec`, the declared state the reconciler drives the cloud towards.
Power state, restarts and the number of instances are desired state, not
commands: `desired_state` says whether the instances should run, raising
`restart_count` asks for one restart (`restart_mode` and `stop_mode` say whether
restarts and stops ask the system or power it off), `replicas` says how many exist,
raising `replace_count` asks for every instance to be replaced, one at a time,
and another `flavor` asks for them to be resized in place (where the region's driver
claims the `resize` capability).

`Assembly` is a stored assembly as reads return it: its identity, its spec
without secrets and its observed status. The API's assembly document is its
converter form, so an attribute added here shows in every answer; the GET makes that
form straight from the row (`vertice_core.service.plain`), whose test fails until the
attribute is made there too.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

import attrs

from vertice_core.model.binding import Binding
from vertice_core.model.build import AppSource, Release, SourceSpec, SourceSummary
from vertice_core.model.camp import Component, Metadata
from vertice_core.model.placement import Placement
from vertice_core.model.probe import Probe
from vertice_core.model.snapshot import RestoredSnapshot
from vertice_core.model.status import AssemblyStatus
from vertice_core.model.types import (
    Label,
    Name,
    NonNegative,
    Password,
    Port,
    PublicKeyText,
    Tags,
)


class PowerState(enum.StrEnum):
    """What a user may ask an assembly's instances to be."""

    RUNNING = "running"
    STOPPED = "stopped"


class PowerMode(enum.StrEnum):
    """How the instances are restarted (`restart_mode`) or stopped (`stop_mode`)."""

    #: Their system is asked to shut down (an ACPI request, SIGTERM): the default.
    SOFT = "soft"
    #: Powered off or cycled without asking (SIGKILL): for a hung system; the region's
    #: driver must claim `hard_reboot` (restarts) or `hard_stop` (stops).
    HARD = "hard"


class StopMode(enum.StrEnum):
    """How the instances are stopped (`stop_mode`): the power modes, or suspended."""

    SOFT = "soft"
    HARD = "hard"
    #: Suspended: their memory is kept and a start resumes them where they were, without
    #: a boot; the region's driver must claim `suspend`. Observed, they are stopped.
    SUSPEND = "suspend"


class DesiredState(enum.StrEnum):
    """What the reconciler drives an assembly towards; `deleted` is set by DELETE."""

    RUNNING = "running"
    STOPPED = "stopped"
    DELETED = "deleted"


@attrs.frozen
class SshKeyRef:
    """Launch with an SSH key stored in the project."""

    kind: Literal["ssh_key"]
    name: Name


@attrs.frozen
class SshPublicKey:
    """Launch with a new SSH public key given inline."""

    kind: Literal["ssh_public_key"]
    public_key: PublicKeyText


@attrs.frozen
class RootPassword:
    """Launch with a root password (encrypted at rest, never returned)."""

    kind: Literal["root_password"]
    password: Password


Credential = SshKeyRef | SshPublicKey | RootPassword

#: Attribute paths of an assembly that may ever change after creation.
PATCHABLE_PATHS = (
    "/name",
    "/description",
    "/tags",
    "/desired_state",
    "/restart_count",
    "/restart_mode",
    "/stop_mode",
    "/replicas",
    "/replace_count",
    "/flavor",
    "/inputs",
)

#: Instances an assembly runs unless it says otherwise.
DEFAULT_REPLICAS = 1


def default_metadata() -> Metadata:
    """Metadata of an assembly declared without any: everything patchable is mutable."""
    return Metadata(
        type_definition="/v3/type_definitions/assembly",
        mutable=list(PATCHABLE_PATHS),
        consumer_mutable=list(PATCHABLE_PATHS),
    )


@attrs.frozen
class Adoption:
    """An instance that already runs in the region, which the assembly takes over as its
    instance instead of creating one (`vertice adopt`): the reconciler tags it once
    (`Driver.adopt`), without restarting it."""

    #: The cloud's id of the instance (`vertice adopt REGION` lists them).
    cloud_id: Label


@attrs.frozen
class AssemblyDeclaration:
    """The body of `POST /v3/assembly_factory`."""

    name: Name
    plan_uri: str
    flavor: Name
    #: The region to run in; may be left out when `placement` names the regions.
    region: Name | None = None
    description: str = ""
    tags: Tags = attrs.Factory(lambda: Tags([]))
    credential: Credential | None = None
    components: list[Component] = attrs.Factory(list)
    desired_state: PowerState = PowerState.RUNNING
    metadata: Metadata | None = None
    #: The project to declare in; defaults to the caller's first project.
    project: Name | None = None
    #: Where the instance's metrics exporter listens, overriding the plan's `::metrics`.
    metrics_port: Port | None = None
    #: How many instances to run (0: scaled to zero). The upper bound is the
    #: installation's `max_replicas` (checked by the service layer, not the type).
    replicas: NonNegative = NonNegative(DEFAULT_REPLICAS)
    #: How the instances are checked (`vertice_core.model.probe`); none: running is ready.
    probe: Probe | None = None
    #: Several regions and how instances pick one (`vertice_core.model.placement`);
    #: `region`, when also given, must be the first of them.
    placement: Placement | None = None
    #: What the instances run instead of the image's entrypoint (overrides the plan's
    #: `::command`; `vertice_core.model.run` says the semantics and bounds).
    command: list[str] | None = None
    #: The arguments they run with instead of the image's default ones (overrides the plan's).
    args: list[str] | None = None
    #: Environment variables, added over the plan's `::env` (sealed at rest; reads show
    #: only their names, as `env_names`).
    env: dict[str, str] | None = None
    #: A git repository to build the instances' image from instead of running the
    #: plan's (`vertice_core.model.build`); an `apprepository` component says the same.
    source: AppSource | None = None
    #: Values of the plan's inputs, by name (`vertice_core.model.inputs`).
    inputs: dict[str, Any] | None = None
    #: Other assemblies' components whose values reach the instances' environment
    #: (`vertice_core.model.binding`).
    bindings: list[Binding] | None = None
    #: A snapshot of the project (its name or id) to launch the instances from instead of
    #: the plan's image: it must be AVAILABLE, in the assembly's region
    #: (`vertice_core.model.snapshot`).
    snapshot: Name | None = None
    #: An unmanaged instance of the region to take over instead of creating one
    #: (administrators only; the region's driver must claim `adopt`).
    adopt: Adoption | None = None


class CredentialKind(enum.StrEnum):
    """How the launch credential reaches the instance."""

    NONE = "none"
    SSH_KEY = "ssh_key"
    SSH_PUBLIC_KEY = "ssh_public_key"
    ROOT_PASSWORD = "root_password"  # noqa: S105 -- a name, not a secret


@attrs.frozen
class LaunchCredential:
    """The stored form of a launch credential: the password only ever sealed."""

    kind: CredentialKind = CredentialKind.NONE
    key_name: str = ""
    public_key: str = ""
    #: A Fernet token of the root password; plaintext never reaches the store.
    sealed_password: str = ""


@attrs.frozen
class AssemblySpec:
    """The declared state of an assembly, as stored and as the reconciler reads it."""

    plan: Name
    region: Name
    flavor: Name
    credential: LaunchCredential = attrs.Factory(LaunchCredential)
    components: list[Component] = attrs.Factory(list)
    desired_state: DesiredState = DesiredState.RUNNING
    restart_count: NonNegative = NonNegative(0)
    #: How restarts and stops are carried out (soft unless asked).
    restart_mode: PowerMode = PowerMode.SOFT
    stop_mode: StopMode = StopMode.SOFT
    metadata: Metadata = attrs.Factory(default_metadata)
    metrics_port: Port | None = None
    replicas: NonNegative = NonNegative(DEFAULT_REPLICAS)
    replace_count: NonNegative = NonNegative(0)
    probe: Probe | None = None
    #: The regions instances are placed in, and how (None: all in `region`).
    placement: Placement | None = None
    #: The declared command and args (None: the plan's, else the image's).
    command: list[str] | None = None
    args: list[str] | None = None
    #: The declared environment variables: name to a Fernet token of the value
    #: (`SecretBox.seal`); plaintext never reaches the store.
    sealed_env: dict[str, str] = attrs.Factory(dict)
    #: The repository the image is built from (None: the plan's image runs).
    source: SourceSpec | None = None
    #: The build the instances run (written by the build controller; None: none yet).
    release: Release | None = None
    #: The values of the plan's inputs that are not secret, by name.
    inputs: dict[str, str] = attrs.Factory(dict)
    #: The secret ones, sealed (`SecretBox.seal`).
    sealed_inputs: dict[str, str] = attrs.Factory(dict)
    #: The bindings, resolved: `{"assembly_id", "component", "env"}` each.
    bindings: list[dict[str, str]] = attrs.Factory(list)
    #: The bound values, sealed, by variable (written by the binding controller), and a
    #: keyed digest of them (`vertice_core.binding`).
    sealed_bound_env: dict[str, str] = attrs.Factory(dict)
    bound_digest: str = ""
    #: The snapshot the instances are launched from (None: the plan's image).
    snapshot: RestoredSnapshot | None = None
    #: The instance its first instance is adopted from (None: created).
    adopt: Adoption | None = None


@attrs.frozen
class CredentialSummary:
    """A launch credential as reads show it: its kind and public parts, never a secret."""

    kind: CredentialKind = CredentialKind.NONE
    #: The stored SSH key's name (kind `ssh_key`).
    name: str | None = None
    public_key: str | None = None
    #: Whether a root password is stored (kind `root_password`); the password never is shown.
    password_set: bool | None = None


@attrs.frozen
class Assembly:
    """A stored assembly: identity, declared spec (secrets left out) and observed status."""

    id: str
    name: str
    project: str
    plan: str
    region: str
    flavor: str
    description: str = ""
    tags: list[str] = attrs.Factory(list)
    desired_state: DesiredState = DesiredState.RUNNING
    restart_count: int = 0
    #: How the next restarts and stops are carried out: `soft` or `hard`.
    restart_mode: PowerMode = PowerMode.SOFT
    stop_mode: StopMode = StopMode.SOFT
    replicas: int = DEFAULT_REPLICAS
    #: Raised by one to replace every instance, one at a time (a rolling replacement).
    replace_count: int = 0
    #: The version of the declared spec: raised by every change of it.
    generation: int = 1
    credential: CredentialSummary = attrs.Factory(CredentialSummary)
    components: list[Component] = attrs.Factory(list)
    metadata: Metadata = attrs.Factory(default_metadata)
    metrics_port: int | None = None
    probe: Probe | None = None
    #: The regions instances are placed in, and how (None: all in `region`, which
    #: is otherwise the first of them).
    placement: Placement | None = None
    #: The declared command and args, if any (they are not secret: a process's command
    #: line is visible on its host).
    command: list[str] | None = None
    args: list[str] | None = None
    #: The names of the declared environment variables; their values are never shown.
    env_names: list[str] = attrs.Factory(list)
    #: The repository the instances' image is built from, without its secrets.
    source: SourceSummary | None = None
    #: The build the instances run, once one succeeded.
    release: Release | None = None
    #: The values of the plan's inputs that are not secret, by name.
    inputs: dict[str, str] = attrs.Factory(dict)
    #: The names of its secret inputs (their values are never shown).
    secret_inputs: list[str] = attrs.Factory(list)
    #: Other assemblies' components it is bound to: `{"assembly_id", "component", "env"}`.
    bindings: list[dict[str, str]] = attrs.Factory(list)
    #: The name of the snapshot it was restored from, if any (it may be deleted since).
    snapshot: str | None = None
    #: The instance it was declared to adopt, if any (as declared: `apply -f` compares it).
    adopt: Adoption | None = None
    status: AssemblyStatus = attrs.Factory(AssemblyStatus)
    created_at: datetime | None = None
    updated_at: datetime | None = None
