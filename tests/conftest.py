"""The core's tests use vertice's test harness (vertice-testing, in `testing/`): opt-in here.

`make install` installs it editable beside the core; its fixtures (databases on
SQLite and PostgreSQL, the app and its users, reconcilers, a live server) are in
`vertice_testing.plugin`.
"""

pytest_plugins = ["vertice_testing.plugin"]
