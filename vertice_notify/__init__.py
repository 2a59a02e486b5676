"""vertice_notify: the notifier plugins shipped with vertice (webhook and email).

Each is a pluggy plugin on `vertice_event_recorded`, found through entry-point
group `vertice.plugins` and switched on by configuration (environment
variables, see each module). Neither ever blocks the reconciler: events go
into a bounded queue that a background thread drains, retrying with backoff.
"""
