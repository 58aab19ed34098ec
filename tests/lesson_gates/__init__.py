"""Quality gates: the results every sentence that interprets a run rests on.

A lesson never pastes a number from a run (the build pulls it in, see
:mod:`modules.storage.results`), but it does say what the numbers mean: "every digit appears",
"within 0.1 of the target", "the GAN-only run is worse than the constant".  Each such
sentence is backed here by a :class:`Gate`: a check, with a margin, on the values the
script recorded.  The same gates run in two places:

* ``tests/test_lesson_gates.py`` checks them on the records of the test session's site
  build (the very numbers the pages show), and runs the few gates of exercise answers
  that need another run (``args``);
* ``tests/robustness.py`` (``make robustness``) checks them over several seeds and both
  CPU kernel paths (``ATEN_CPU_CAPABILITY=default`` and the machine's own), the study
  that shows a sentence is true on any machine, not just on one.

Each lesson's gates live in ``lesson_12_1_<n>.py`` beside this file, as a list ``GATES``.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from modules.storage.results import load_script_results

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Gate:
    """One claim of a lesson and the check it rests on.

    ``check`` receives ``{name: value}`` of what ``script`` recorded in a run with
    ``--preset docs [--seed S] *args`` and returns whether the claim holds; ``shows``
    names the values a report prints next to the verdict.  ``args`` empty: the build's
    own run (checked on the build's records); otherwise a variant run (an exercise's
    answer), which the tests and the study run themselves."""

    lesson: str  # "12.1.2"
    script: str  # "dcgan_train"
    claim: str  # the sentence (or its gist) the gate backs
    check: Callable[[Mapping[str, Any]], bool]
    shows: Sequence[str] = ()
    args: tuple[str, ...] = ()
    doc: str = field(default="", compare=False)  # the margin, in words

    @property
    def id(self) -> str:
        variant = ("-" + "_".join(a.lstrip("-") for a in self.args)) if self.args else ""
        words = "".join(c if c.isalnum() else "_" for c in self.claim.lower())[:50].strip("_")
        return f"{self.lesson}-{self.script}{variant}-{words}"

    def evaluate(self, values: Mapping[str, Any]) -> tuple[bool, str]:
        """``(holds, what it saw)``; a missing name counts as a failure."""
        missing = [name for name in self.shows if name not in values]
        shown = " ".join(f"{name}={_short(values[name])}" for name in self.shows if name in values)
        if missing:
            return False, f"not recorded: {', '.join(missing)}"
        try:
            return bool(self.check(values)), shown
        except KeyError as err:
            return False, f"not recorded: {err}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_short(v) for v in value) + "]"
    return str(value)


def values_of(records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``{name: value}`` from a script's records (``{name: {"value", "text"}}``)."""
    return {name: entry["value"] for name, entry in records.items()}


def load_values(folder: Path, script: str) -> dict[str, Any]:
    """What ``script`` recorded in ``folder`` (empty if it recorded nothing there)."""
    return values_of(load_script_results(script, folder) or {})


def all_gates() -> list[Gate]:
    """Every lesson's gates, in lesson order."""
    gates: list[Gate] = []
    for path in sorted(HERE.glob("lesson_*.py")):
        module = importlib.import_module(f"lesson_gates.{path.stem}")
        gates += list(module.GATES)
    ids = [gate.id for gate in gates]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"two gates share an id: {duplicates}")
    return gates
