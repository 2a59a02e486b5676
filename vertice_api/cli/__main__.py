"""`python -m vertice_api.cli`: the `vertice` command (used by `vertice serve` for its children)."""

from vertice_api.cli import main

main()
