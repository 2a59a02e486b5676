"""One module per scenario; each `run(size)` returns its figures."""
