"""vertice's test harness, loaded for these tests only (it is opt-in).

`vertice-testing` (this project's `test` extra) gives the end-to-end fixtures:
`admin`/`alice` (API clients), `db_url` (SQLite and PostgreSQL), `ctx`,
`make_reconciler`, `converge`, `phases`, and `PluginPackaging`. The driver
contract (`vertice_drivers.testkit`) comes with the core and needs none of it.
"""

pytest_plugins = ["vertice_testing.plugin"]
