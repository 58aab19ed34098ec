"""The course as the tests see it: where things are, and running a lesson script the way
a student does.  Plain helpers, no fixtures (those live in ``conftest.py``), so any test
module or helper module (``lesson_checks.py``) can import them."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
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
