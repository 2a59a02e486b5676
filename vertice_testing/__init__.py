"""vertice_testing: the test harness shipped with vertice (a pytest plugin).

The core's tests and every driver plugin's tests use the same fixtures
(databases on SQLite and PostgreSQL, the app and its users, reconcilers);
see `vertice_testing.plugin`. The driver contract itself is
`vertice_drivers.testkit`.
"""
