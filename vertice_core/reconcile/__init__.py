"""The level-based reconciler: work queue and leases, the pure planning function, the actions."""
