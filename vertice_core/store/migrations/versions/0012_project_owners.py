"""Project owners: a project's name is unique among its owner's projects only, so that
creating one tells nothing of other users' projects (issue 17, item 8). `projects.owner_id`
is the user who created it (NULL once they are deleted); the unique constraint on
(owner_id, name) replaces the one on the name, which keeps an index of its own. An existing
project is owned by its oldest member (by membership), or by nobody if it has none.

On SQLite, dropping a constraint means rebuilding the table, and Alembic's batch mode
(copy it, drop the old one, rename the copy) cannot rebuild `projects`: vertice's
connections enforce foreign keys (a pragma that cannot change inside the migration's
transaction), so dropping it deletes every membership, SSH key and invitation (ON DELETE
CASCADE) and fails as soon as an assembly, build, route or scaler refers to it. The table
is rebuilt by hand instead, foreign keys deferred to the commit: the rows that cascade are
kept and written back, and the projects are inserted again under the table's own name,
which settles the references the drop left dangling before the commit checks them.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROJECTS = sa.table(
    "projects",
    *(sa.column(name) for name in ("id", "name", "description", "created_at", "owner_id")),
)
MEMBERSHIPS = sa.table("memberships", sa.column("user_id"), sa.column("project_id"),
                       sa.column("created_at"))  # fmt: skip
#: The tables whose rows go with their project (ON DELETE CASCADE).
CASCADED = ("memberships", "ssh_keys", "invitations")


def _oldest_member() -> sa.ScalarSelect[object]:
    """A project's oldest member (ties: the smallest user id), as a column of `projects`."""
    m = MEMBERSHIPS.c
    return (
        sa.select(m.user_id)
        .where(m.project_id == PROJECTS.c.id)
        .order_by(m.created_at, m.user_id)
        .limit(1)
        .scalar_subquery()
    )


def _create_projects(*, owned: bool) -> None:
    """The projects table of this revision (`owned`) or of the one before."""
    owner = [
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_projects_owner_id_users")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_projects_owner_id_name")),
    ]  # fmt: skip
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        *(owner if owned else [sa.UniqueConstraint("name", name=op.f("uq_projects_name"))]),
    )
    if owned:
        op.create_index(op.f("ix_projects_name"), "projects", ["name"], unique=False)


def _rows(bind: sa.Connection, query: sa.Select[Any]) -> list[dict[str, object]]:
    return [dict(row._mapping) for row in bind.execute(query)]


def _insert(bind: sa.Connection, table: str, rows: list[dict[str, object]]) -> None:
    """Write rows back as they were read (untyped columns: SQLite's stored values)."""
    if rows:
        bind.execute(sa.table(table, *(sa.column(name) for name in rows[0])).insert(), rows)


def _rebuild_on_sqlite(*, owned: bool) -> None:
    """Rebuild `projects` with the constraints of this revision (`owned`, each project
    owned by its oldest member) or of the one before, keeping every row that refers to
    a project (see the module's docstring)."""
    bind = op.get_bind()
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until the commit
    p = PROJECTS.c
    owner = [_oldest_member().label("owner_id")] if owned else []
    projects = _rows(bind, sa.select(p.id, p.name, p.description, p.created_at, *owner))
    kept = {
        table: _rows(bind, sa.select(sa.text("*")).select_from(sa.table(table)))
        for table in CASCADED
    }
    op.drop_table("projects")
    _create_projects(owned=owned)
    _insert(bind, "projects", projects)
    for table, rows in kept.items():
        _insert(bind, table, rows)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(owned=True)
        return
    op.add_column("projects", sa.Column("owner_id", sa.String(length=32), nullable=True))
    op.create_foreign_key(op.f("fk_projects_owner_id_users"), "projects", "users",
                          ["owner_id"], ["id"], ondelete="SET NULL")  # fmt: skip
    op.drop_constraint(op.f("uq_projects_name"), "projects", type_="unique")
    op.create_unique_constraint(op.f("uq_projects_owner_id_name"), "projects",
                                ["owner_id", "name"])  # fmt: skip
    op.create_index(op.f("ix_projects_name"), "projects", ["name"], unique=False)
    op.execute(PROJECTS.update().values(owner_id=_oldest_member()))


def downgrade() -> None:
    """Back to globally unique names: refused while several projects share a name (the
    older schema cannot hold them; rename or delete all but one of each first)."""
    bind = op.get_bind()
    shared = bind.execute(
        sa.text("SELECT name FROM projects GROUP BY name HAVING count(*) > 1 ORDER BY name")
    ).scalars()
    names = ", ".join(repr(name) for name in shared)
    if names:
        raise RuntimeError(f"several projects are named {names}: rename or delete all but "
                           "one of each before downgrading below revision 0012")  # fmt: skip
    if bind.dialect.name == "sqlite":
        _rebuild_on_sqlite(owned=False)
        return
    op.drop_index(op.f("ix_projects_name"), table_name="projects")
    op.drop_constraint(op.f("uq_projects_owner_id_name"), "projects", type_="unique")
    op.drop_constraint(op.f("fk_projects_owner_id_users"), "projects", type_="foreignkey")
    op.drop_column("projects", "owner_id")
    op.create_unique_constraint(op.f("uq_projects_name"), "projects", ["name"])
