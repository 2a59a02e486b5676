"""vertice_testing: vertice's test harness, the distribution `vertice-testing`.

The core's tests and every driver plugin's tests use the same fixtures
(databases on SQLite and PostgreSQL, the app and its users, reconcilers): a
suite opts in with `pytest_plugins = ["vertice_testing.plugin"]` in its
conftest.py. The driver contract itself is `vertice_drivers.testkit`, shipped
with the core.
"""
