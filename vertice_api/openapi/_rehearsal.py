"""The OpenAPI pieces of previews: `GET /v3/assembly/{id}/plan` and the dry runs of a
declaration or a patch (`?dry_run=true`, `vertice_api.resources.rehearsal`)."""

from __future__ import annotations

from vertice_api.openapi._build import (
    Json,
    array,
    boolean,
    enum,
    integer,
    query_param,
    ref,
    response,
    string,
)
from vertice_api.openapi._resources import record
from vertice_core.reconcile.decision import Verb


def rehearsal_resources() -> dict[str, Json]:
    """A plan's preview, its steps, and a dry run's answer."""
    step = record(
        {
            "verb": enum([*(v.value for v in Verb), "adopt"], "The driver call (`adopt`: a "
                         "create that adopts the instance that runs already)."),
            "ordinal": integer("The instance it is for; -1 for one no ordinal owns (an older "
                               "incarnation, a duplicate).", minimum=-1),
            "region": string(),
            "target": string("The key an instance would be created with, else the cloud's "
                             "id of the instance (the one adopted, for `adopt`)."),
            "reason": string("The planner's reason (`Creating`, `Stopping`, `ScalingDown`...)."),
            "why": string("The reason in words."),
        },
        description="One driver call the next pass would make.",
    )  # fmt: skip
    plan = record(
        {
            "assembly_uri": string(),
            "generation": integer("The declaration's version.", minimum=1),
            "observed_generation": integer("The version the last pass worked from: its "
                                           "observation of the cloud is what the plan stands "
                                           "on.", minimum=0),
            "phase": string("The phase the pass would write."),
            "reason": string(),
            "waiting": string("Why the pass would not act yet (a failure's backoff); empty "
                              "when it would."),
            "steps": array(ref("PlanStep"), "In the order the pass would make them; empty "
                           "when the cloud matches the declaration."),
        },
        description="What the reconciler's next pass would do for an assembly, and why, from "
        "the stored declaration and the instances the last pass observed (no cloud is called).",
    )  # fmt: skip
    rehearsal = record(
        {
            "dry_run": boolean("Always true: nothing was stored."),
            "assembly": ref("Assembly"),
            "changed": array(string(), "The attributes the change would set otherwise "
                             "(`created` for a declaration)."),
            "plan": ref("AssemblyPlan"),
        },
        description="A dry run: the assembly as it would stand, what would change, and what "
        "the next pass would do then. Nothing is stored.",
    )  # fmt: skip
    return {"PlanStep": step, "AssemblyPlan": plan, "Rehearsal": rehearsal}


def dry_run_param() -> Json:
    """`dry_run` of a declaration or a patch."""
    return query_param(
        "dry_run",
        "`true`: check the change as the real request would (validation, references, "
        "admission) and answer 200 with what it would change and what the next pass would do "
        "(`Rehearsal`); nothing is stored. Anything but `true` or `false` is a 400.",
        boolean(),
    )


def rehearsal_response() -> Json:
    """The 200 of a dry run."""
    return response(200, ref("Rehearsal"), description="A dry run (`dry_run=true`): nothing "
                    "was stored.")  # fmt: skip
