"""The store: SQLAlchemy 2 tables, repositories and Alembic migrations.

Code outside the store reaches the database through `Store` sessions and the
repositories in `vertice_core.store.repositories`; repositories take a session
and never commit, so the caller owns the transaction.
"""

from vertice_core.store.engine import Store

__all__ = ["Store"]
