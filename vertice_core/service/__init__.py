"""The domain service layer: what callers of vertice may ask of it, with no HTTP.

The API, the CLI's server-side commands and tests call these functions with
a session (the caller owns the transaction), a `Caller` and typed input, and
get typed records back. Errors are the domain's (`vertice_core.errors`); the
API maps them to HTTP in one place. Nothing here calls a cloud: writes change
desired state, and the reconciler makes it real.

* `assemblies`: declare, read, patch, scale, delete (`AssemblyService`);
* `resolve`: plan, project, region, flavor, replicas and launch credential;
* `admission`: the plugins' say before a write; `patching`: JSON Patch;
* `records`: stored rows as typed records (`Assembly`), and status versions;
* `observed`: an assembly's components with observed facts, its events;
* `orphans`: delete with `orphan=true` (the cloud side is abandoned), retire a region;
* `snapshots`: ask for, read and delete snapshots; `restored`: a declaration's snapshot;
* `discovery`: Prometheus' targets; `accounts`: users and tokens;
* `caller`: who asks; `context`: what the layer is built with; `catalog`.
"""

from vertice_core.service.assemblies import AssemblyService
from vertice_core.service.caller import Caller
from vertice_core.service.context import ServiceContext
from vertice_core.service.records import StoredAssembly

__all__ = ["AssemblyService", "Caller", "ServiceContext", "StoredAssembly"]
