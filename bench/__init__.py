"""vertice's benchmarks: `make bench` (full size) and `make bench-quick` (a tenth).

Each scenario prints one line per figure, `name value unit target pass|miss`,
then a summary; the figures are written as JSON under `var/bench/`. The
machine is small and noisy (2 cores): compare ratios measured in one run, and
read absolute times as trends. Targets belong here, never in the test suite.
"""
