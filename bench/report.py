"""Figures, their targets, the printed lines and the JSON file."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class Figure:
    """One measured value and its target (`<= 15` or `>= 1000`), if it has one."""

    name: str
    value: float
    unit: str
    target: float | None = None
    #: "<=", ">=" or "==": how the value must compare with the target to pass.
    op: str = "<="
    note: str = ""

    @property
    def verdict(self) -> str:
        """`pass`, `miss`, or `-` for a figure without a target."""
        if self.target is None:
            return "-"
        if self.op == "==":
            ok = self.value == self.target
        else:
            ok = self.value <= self.target if self.op == "<=" else self.value >= self.target
        return "pass" if ok else "miss"

    def line(self) -> str:
        """The printed line: `name value unit target pass|miss`."""
        target = f"{self.op}{_fmt(self.target)}" if self.target is not None else "-"
        note = f"  # {self.note}" if self.note else ""
        return f"{self.name} {_fmt(self.value)} {self.unit} {target} {self.verdict}{note}"


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of `runs` repetitions of `measure()`."""
    return float(statistics.median(measure() for _ in range(runs)))


class Report:
    """Collects figures, prints each as it comes, and writes them all at the end."""

    def __init__(self, size: str) -> None:
        self.size = size
        self.figures: list[Figure] = []
        self.started = time.time()

    def add(self, figure: Figure) -> None:
        """Record and print one figure."""
        self.figures.append(figure)
        print(figure.line(), flush=True)

    def extend(self, figures: Sequence[Figure]) -> None:
        """Record and print several figures."""
        for figure in figures:
            self.add(figure)

    def summary(self) -> str:
        """The closing lines: how many figures passed, missed, and took how long."""
        judged = [f for f in self.figures if f.verdict != "-"]
        missed = [f.name for f in judged if f.verdict == "miss"]
        lines = [
            f"summary: {len(judged) - len(missed)}/{len(judged)} targets met, "
            f"{len(self.figures)} figures, size {self.size}, "
            f"{time.time() - self.started:.0f}s on {platform.node()} ({_cores()} cores)",
        ]
        if missed:
            lines.append("missed: " + ", ".join(missed))
        return "\n".join(lines)

    def write(self, folder: Path) -> Path:
        """Write the figures as JSON; return the file."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"bench-{self.size}-{time.strftime('%Y%m%dT%H%M%S')}.json"
        document: dict[str, Any] = {
            "size": self.size,
            "started": self.started,
            "machine": {"node": platform.node(), "cores": _cores()},
            "figures": [attrs.asdict(f) | {"verdict": f.verdict} for f in self.figures],
        }
        path.write_text(json.dumps(document, indent=2))
        return path


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))
