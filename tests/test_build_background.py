"""Scripts that train in a second process while the first lessons run (``course_background_scripts``).

The site build starts each listed script as a second process when it starts; before
sphinx-gallery runs that script, its ``reset_modules`` hook waits for the process.  Here
with a stand-in script that notes what it was given and takes a second.  That the
models such a run caches are the ones a run in the gallery would train is what
``test_two_builds_draw_identical_figures`` (test_site.py) checks on the real build:
its first build trains StyleGAN-lite this way, its second loads it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from modules.storage.results import RESULTS_ENV

from course import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import course_build  # noqa: E402

STAND_IN = '''
import json, os, pathlib, sys, time
time.sleep(1.0)
if os.environ.get("STAND_IN_TRAINS"):  # what a run that trains leaves: a new file in the model cache
    pathlib.Path(os.environ["GAN_COURSE_CACHE"], "run.pt").write_bytes(b"")
json.dump({"argv": sys.argv[1:], "cwd": os.getcwd(), "backend": os.environ.get("MPLBACKEND"),
           "results": os.environ.get("%s"), "modules": __import__("modules").__file__},
          open("seen.json", "w"))
sys.exit(int(os.environ.get("STAND_IN_EXIT", "0")))
''' % RESULTS_ENV


def fake_app(srcdir: Path, scripts, pattern=r"\.py$", plot=True):
    conf = SimpleNamespace(course_background_scripts=scripts, sphinx_gallery_conf={"filename_pattern": pattern, "plot_gallery": plot})
    return SimpleNamespace(srcdir=str(srcdir), config=conf)


@pytest.fixture
def gallery(tmp_path):
    lesson = tmp_path / "gallery" / "lesson"
    lesson.mkdir(parents=True)
    (lesson / "slow.py").write_text(STAND_IN)
    return tmp_path


@pytest.mark.parametrize("trains", [True, False], ids=["trains", "finds-its-model-cached"])
def test_a_listed_script_runs_in_a_second_process_and_the_gallery_waits_for_it(gallery, monkeypatch, trains):
    monkeypatch.setenv(RESULTS_ENV, str(gallery / "build-results"))
    monkeypatch.setenv("GAN_COURSE_CACHE", str(gallery / "cache"))
    (gallery / "cache").mkdir()
    if trains:
        monkeypatch.setenv("STAND_IN_TRAINS", "1")
    app = fake_app(gallery, ["lesson/slow.py"])
    start = time.perf_counter()
    course_build._start_background(app)
    try:
        assert time.perf_counter() - start < 0.9  # started, not waited for
        script = gallery / "gallery" / "lesson" / "slow.py"
        pid = course_build._BACKGROUND[str(script.resolve())].process.pid
        if hasattr(os, "getpriority"):  # at the lowest priority: it takes only what the gallery leaves idle
            assert os.getpriority(os.PRIO_PROCESS, pid) == 19
            # in the build's session: Linux shares CPU fairly between sessions (autogroups),
            # so a session of its own would undo the priority; its own process group
            assert os.getsid(pid) == os.getsid(0) and os.getpgid(pid) == pid
        course_build.wait_for_background({}, str(script), when="after")  # only "before" waits
        course_build.wait_for_background({}, str(gallery / "gallery" / "lesson" / "other.py"), when="before")
        assert not (script.parent / "seen.json").exists()
        # the gallery gets to the script 2 s after the process has ended
        while course_build._BACKGROUND[str(script.resolve())].process.poll() is None:
            time.sleep(0.05)
        time.sleep(2.0)
        course_build.wait_for_background({}, str(script), when="before")
        until_the_gallery_got_there = time.perf_counter() - start
        seen = json.loads((script.parent / "seen.json").read_text())
        assert seen["argv"] == ["--preset", "docs"] and Path(seen["cwd"]) == script.parent and seen["backend"] == "Agg"
        # its records stay out of the build's results folder; it imports this checkout's modules/
        assert seen["results"] and Path(seen["results"]) != gallery / "build-results"
        assert Path(seen["modules"]).resolve().parent == ROOT / "modules"
        ((name, seconds, trained, waited),) = course_build.background_times()
        assert 0 <= waited < 1.0  # it had ended before the gallery got there
        # the process's own time, not the time until the gallery got to it
        assert name == "slow.py" and 1.0 <= seconds <= until_the_gallery_got_there - 1.9 and trained == trains
        scratch = app.course_background_scratch
        assert scratch.is_dir()
    finally:
        course_build._stop_background(app, None)
    assert not scratch.exists() and course_build.background_times() == []


def test_a_build_after_one_that_trained_starts_no_second_process(gallery, monkeypatch):
    """After a background run that trained, a build whose models are all cached (a
    change of prose) skips the second process; an edit of the script, or a model gone
    from the cache, runs it again."""
    monkeypatch.setenv("GAN_COURSE_CACHE", str(gallery / "cache"))
    monkeypatch.setenv("STAND_IN_TRAINS", "1")
    (gallery / "cache").mkdir()
    script = gallery / "gallery" / "lesson" / "slow.py"

    def build() -> bool:
        """One build's start and wait; whether it ran the script in the background."""
        app = fake_app(gallery, ["lesson/slow.py"])
        course_build._start_background(app)
        try:
            started = bool(course_build._BACKGROUND)
            course_build.wait_for_background({}, str(script), when="before")
        finally:
            course_build._stop_background(app, None)
        return started

    assert build() and course_build.already_trained(script.resolve())
    assert json.loads(course_build.background_stamp(script.resolve()).read_text()) == ["run.pt"]
    assert not build()  # every model it made is in the cache
    app = fake_app(gallery, ["lesson/slow.py"])
    course_build._start_background(app)
    assert course_build._SKIPPED == ["slow.py"]  # what the Build report says
    course_build._stop_background(app, None)
    (gallery / "cache" / "run.pt").unlink()
    assert build()  # a model is missing: it trains again
    script.write_text(STAND_IN + "# edited\n")
    assert not course_build.already_trained(script.resolve()) and build()


def test_a_failed_background_run_is_not_reported_as_trained(gallery, monkeypatch):
    monkeypatch.setenv("STAND_IN_EXIT", "1")
    app = fake_app(gallery, ["lesson/slow.py"])
    course_build._start_background(app)
    try:
        course_build.wait_for_background({}, str(gallery / "gallery" / "lesson" / "slow.py"), when="before")
        assert course_build.background_times() == []  # the gallery's own run trains it
    finally:
        course_build._stop_background(app, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to tell an ended process from a running one")
def test_a_build_that_ends_early_stops_the_process_and_its_workers(gallery, monkeypatch):
    """The script may start worker processes (the 2-D and translation scripts do): stopping
    the build ends them too."""
    (gallery / "gallery" / "lesson" / "slow.py").write_text(
        "import pathlib, subprocess, sys, time\n"
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "pathlib.Path('worker.pid').write_text(str(worker.pid))\n"
        "time.sleep(60)\n"
    )
    app = fake_app(gallery, ["lesson/slow.py"])
    course_build._start_background(app)
    pid_file = gallery / "gallery" / "lesson" / "worker.pid"
    try:
        deadline = time.perf_counter() + 30
        while not (pid_file.exists() and pid_file.read_text()) and time.perf_counter() < deadline:
            time.sleep(0.05)
        worker = int(pid_file.read_text())
        (run,) = course_build._BACKGROUND.values()
    finally:
        course_build._stop_background(app, None)
    assert run.process.poll() is not None
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        if open(f"/proc/{worker}/stat").read().split()[2] == "Z":  # ended, not yet reaped by init
            break
        time.sleep(0.05)
    else:
        pytest.fail("the background script's worker process outlived the build")


def test_nothing_runs_in_the_background_when_the_build_does_not_execute_the_script(gallery):
    for app in (fake_app(gallery, ["lesson/slow.py"], plot=False), fake_app(gallery, ["lesson/slow.py"], pattern="other_lesson")):
        course_build._start_background(app)
        try:
            assert course_build._BACKGROUND == {}
        finally:
            course_build._stop_background(app, None)
    with pytest.raises(FileNotFoundError, match="gallery/lesson/missing.py"):
        course_build._start_background(fake_app(gallery, ["lesson/missing.py"]))


def test_the_build_lists_real_single_threaded_scripts():
    """conf.py's list names scripts that exist and that the Build report can name."""
    import conf

    assert conf.course_background_scripts
    for name in conf.course_background_scripts:
        assert (ROOT / "gallery" / name).is_file(), name
