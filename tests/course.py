"""The course as the tests see it: where things are, and running a lesson script the way
a student does.  Plain helpers, no fixtures (those live in ``conftest.py``), so any test
module or helper module (``lesson_checks.py``) can import them."""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import html as html_text
import os
import random
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A student's GAN_COURSE_PRESET (the notebooks' default preset) must not change what the
# tests run: they pass --preset themselves.
os.environ.pop("GAN_COURSE_PRESET", None)
GALLERY = ROOT / "gallery"
LESSON_SCRIPTS = sorted(p for p in GALLERY.rglob("*.py"))
# Models the scripts cache for each other: one fresh folder per test session, never ~/.cache
MODEL_CACHE = Path(tempfile.mkdtemp(prefix="gan-course-test-cache-"))
atexit.register(shutil.rmtree, MODEL_CACHE, ignore_errors=True)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    def last_line(self) -> str:
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""


def script_path(name: str) -> Path:
    matches = [p for p in LESSON_SCRIPTS if p.stem == name]
    assert len(matches) == 1, f"expected one gallery script named {name}.py, found {matches}"
    return matches[0]


def run_script(name: str, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> Run:
    """Run ``gallery/**/<name>.py args...`` in its own folder, as a subprocess."""
    path = script_path(name)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT), "GAN_COURSE_CACHE": str(MODEL_CACHE), **(env or {})}
    proc = subprocess.run(
        [sys.executable, path.name, *args],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


# -- the site, built once per session (tests/test_site.py, test_browser.py, ...) ----------

def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def make(target: str, builddir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # VPY: build with the interpreter running the tests (the environment make test made)
    return subprocess.run(
        ["make", "--no-print-directory", target, f"BUILDDIR={builddir}", f"VPY={sys.executable}", "BOOTSTRAP=", f"MODEL_CACHE={MODEL_CACHE}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=2400,  # a clean build on a busy 2-core machine can pass 20 minutes
        env={**os.environ, **(env or {})},
    )


NETGUARD = ROOT / "tests" / "netguard"  # sitecustomize.py: no network for Python processes


def no_network_env(log: Path) -> dict[str, str]:
    """Environment in which every Python process (and its Python children) can reach only
    this machine; blocked attempts are logged to ``log``."""
    path = os.pathsep.join(p for p in (str(NETGUARD), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "GAN_COURSE_NETGUARD_LOG": str(log)}


def blocked_requests(log: Path) -> list[str]:
    """The attempts to reach another machine that the guard of :func:`no_network_env`
    logged; fails if the guard never ran (then no attempt could have been seen)."""
    lines = log.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("active") for line in lines), "the network guard was not loaded"
    return [line for line in lines if line.startswith("blocked")]


@dataclass(frozen=True)
class Site:
    html: Path  # the built site
    git_before: str
    git_after: str
    proc: subprocess.CompletedProcess
    seconds: float
    netlog: Path  # what the network guard saw: "active" lines, and "blocked" ones if any

    @property
    def results(self) -> Path:
        """What the scripts recorded during this build (``modules.storage.results``)."""
        return self.html.parent / "results"


def run_script_here(name: str, *args: str, env: dict[str, str] | None = None) -> Run:
    """:func:`run_script`, but in this process (``runpy``): for the many checks that a
    script refuses bad input with one line before it trains, each of which would
    otherwise pay a fresh interpreter's imports (torch, matplotlib: several seconds).
    The script gets the same command line, folder and environment; its exit status
    comes from its ``SystemExit`` (an uncaught exception prints its traceback to the
    captured stderr and gives 1, as Python does); what it writes to ``sys.stdout`` and
    ``sys.stderr`` is captured.  The random-number states, PyTorch's thread count,
    the environment, the folder and ``sys.argv`` are restored afterwards.  Keep at
    least one real :func:`run_script` check of each script's bad input as well."""
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    path = script_path(name)
    out, err = io.StringIO(), io.StringIO()
    saved = (dict(os.environ), sys.argv[:], os.getcwd(), sys.path[:], torch.get_rng_state(), random.getstate(), np.random.get_state(), torch.get_num_threads())
    os.environ.update({"MPLBACKEND": "Agg", "GAN_COURSE_CACHE": str(MODEL_CACHE), **(env or {})})
    sys.argv, code = [path.name, *args], 0
    # a fresh interpreter has no Jupyter kernel loaded; a test that ran a notebook leaves
    # ipykernel imported here, and a script in Jupyter ignores flags it does not know
    kernel = sys.modules.pop("ipykernel", None)
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_path(str(path), run_name="__main__")
            except SystemExit as exit_:
                if isinstance(exit_.code, str):  # sys.exit("message"): Python prints it, status 1
                    print(exit_.code, file=sys.stderr)
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
            except Exception:  # noqa: BLE001 -- reported as the interpreter would
                traceback.print_exc()
                code = 1
    finally:
        environ, sys.argv, folder, sys.path, torch_rng, py_rng, np_rng, threads = saved
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(folder)
        torch.set_rng_state(torch_rng)
        random.setstate(py_rng)
        np.random.set_state(np_rng)
        torch.set_num_threads(threads)
        plt.close("all")
        if kernel is not None:
            sys.modules["ipykernel"] = kernel
    return Run(code, out.getvalue(), err.getvalue())


@functools.cache
def script_help(name: str) -> Run:
    """``<name>.py --help``, run once per test session (every script pays its imports,
    several seconds, for each run)."""
    return run_script(name, "--help")


SCRIPT_OUT = re.compile(r'<div class="sphx-glr-script-out highlight-none notranslate"><div class="highlight"><pre>(.*?)</pre>', re.S)


def text_of(fragment: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded."""
    return html_text.unescape(re.sub(r"<[^>]+>", "", fragment))


def printed_lines(site_html: Path, script: str) -> list[str]:
    """Every line ``script`` printed in a site build, from its example page."""
    pages = list((site_html / "auto_examples").glob(f"*/{script}.html"))
    assert len(pages) == 1, f"no single example page for {script}.py: {pages}"
    lines: list[str] = []
    for block in SCRIPT_OUT.findall(pages[0].read_text(encoding="utf-8")):
        lines += text_of(block).rstrip("\n").splitlines()
    return lines
