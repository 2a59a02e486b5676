"""The abuse suite (issue 17): each attack found against a real `vertice serve`, as a test
that keeps it fixed.

Every test here runs the attack against the real server (`live_server`: gunicorn and the
reconciler on 127.0.0.1, a fresh installation) or, where the attack needs no sockets, the
WSGI app, and checks the bound the issue names: a clear 4xx, bounded work, nothing stored.
Each test is bounded in time (seconds, not minutes): `make test` runs them all.
"""
