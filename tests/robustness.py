"""The robustness study: do the lessons' claims hold on any machine?

Runs every script that a quality gate (``tests/lesson_gates/``) reads, with the docs
preset, for several seeds and under two CPU kernel paths: the machine's own and
``ATEN_CPU_CAPABILITY=default`` (the plain kernels, rounding as another processor
would).  Then it checks every gate on every run and prints a Markdown table: one row a
gate, one column a (kernel, seed).  Exit status 1 if any gate fails anywhere.

This is a study, not a test: it trains every docs run several times (tens of minutes
on two cores).  Run it with ``make robustness`` or, for some lessons only::

    .venv/bin/python tests/robustness.py --lessons 12.1.2 12.1.3 --seeds 0 1 2

Each (kernel, seed) gets its own model cache, so runs never share models across
kernel paths; scripts named ``*_train.py`` run first (as in the build) so that later
scripts find their models.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from lesson_gates import Gate, all_gates, load_values  # noqa: E402

KERNELS = {"native": None, "default": "default"}


def script_path(name: str) -> Path:
    matches = [p for p in (ROOT / "gallery").rglob(f"{name}.py")]
    if len(matches) != 1:
        raise SystemExit(f"robustness: expected one gallery script named {name}.py, found {len(matches)}")
    return matches[0]


def run(script: str, args: tuple[str, ...], seed: int, kernel: str, folder: Path, cache: Path) -> tuple[int, float, str]:
    """Run one script; returns (exit status, seconds, last stderr line)."""
    path = script_path(script)
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONPATH": str(ROOT),
        "GAN_COURSE_CACHE": str(cache),
        "GAN_COURSE_RESULTS": str(folder),
    }
    env.pop("GAN_COURSE_PRESET", None)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if KERNELS[kernel]:
        env["ATEN_CPU_CAPABILITY"] = KERNELS[kernel]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, path.name, "--preset", "docs", "--seed", str(seed), *args],
        cwd=path.parent, env=env, capture_output=True, text=True,
    )
    lines = proc.stderr.strip().splitlines()
    return proc.returncode, time.perf_counter() - start, lines[-1] if lines else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--kernels", nargs="+", default=list(KERNELS), choices=list(KERNELS))
    parser.add_argument("--lessons", nargs="+", default=None, help="e.g. 12.1.2 (default: every lesson)")
    parser.add_argument("--work", type=Path, default=None, help="folder for records and caches (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this file")
    opts = parser.parse_args(argv)

    gates = [g for g in all_gates() if opts.lessons is None or g.lesson in opts.lessons]
    if not gates:
        print("robustness: no gate matches", file=sys.stderr)
        return 2
    work = opts.work or Path(tempfile.mkdtemp(prefix="gan-course-robustness-"))
    runs = sorted({(g.script, g.args) for g in gates}, key=lambda r: (not r[0].endswith("_train"), r[0], r[1]))
    configs = [(kernel, seed) for kernel in opts.kernels for seed in opts.seeds]
    print(f"robustness: {len(gates)} gates, {len(runs)} runs x {len(configs)} configurations, in {work}", flush=True)

    status: dict[tuple, tuple[int, float, str]] = {}
    for kernel, seed in configs:
        cache = work / f"cache-{kernel}-seed{seed}"
        for script, args in runs:
            folder = work / kernel / f"seed{seed}" / "_".join([script, *[a.lstrip("-") for a in args]])
            status[(script, args, kernel, seed)] = result = run(script, args, seed, kernel, folder, cache)
            code, seconds, last = result
            print(f"  {kernel:7s} seed {seed}  {script} {' '.join(args)}: exit {code} in {seconds:.0f} s {last if code else ''}", flush=True)

    header = "| lesson | script | claim | " + " | ".join(f"{k} s{s}" for k, s in configs) + " |"
    lines = [header, "|" + "---|" * (3 + len(configs))]
    failures = 0
    for gate in gates:
        cells = []
        for kernel, seed in configs:
            folder = work / kernel / f"seed{seed}" / "_".join([gate.script, *[a.lstrip("-") for a in gate.args]])
            code = status[(gate.script, gate.args, kernel, seed)][0]
            if code != 0:
                holds, seen = False, f"exit {code}"
            else:
                holds, seen = gate.evaluate(load_values(folder, gate.script))
            failures += not holds
            cells.append(f"{'ok' if holds else '**FAIL**'} {seen}")
        script = gate.script + ("".join(f" {a}" for a in gate.args))
        lines.append(f"| {gate.lesson} | {script} | {gate.claim} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if opts.out:
        opts.out.write_text(table + "\n", encoding="utf-8")
    print(f"robustness: {failures} failing cells" if failures else "robustness: every gate holds in every configuration")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
