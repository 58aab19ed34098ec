"""Sphinx glue for the course build (referenced from ``conf.py`` by dotted name).

* :func:`reset_argv` -- every gallery script runs with ``--preset docs`` during the
  build, so the site is built from the small, fast preset.
* :func:`named_figure_scraper` -- sphinx-gallery numbers the figures of a script in the
  order they appear (``sphx_glr_<script>_001.png``, ...).  Lesson pages must not depend
  on that order, so every figure that has a label (``fig.set_label("training_results")``,
  done by :mod:`modules.figures.plotting`) is also saved as
  ``<gallery dir>/images/named/<script>-<label>.png``; lessons refer to those names.
* Animations (a matplotlib ``Animation`` held in a top-level variable of a script) are
  also written as ``<script>-<label>.html``, the JavaScript player sphinx-gallery
  embeds in the example page, so a lesson can embed the same player with
  ``.. raw:: html`` and ``:file:``.
* :class:`TrainersFirst` orders the scripts of a lesson: scripts named ``*_train.py``
  run first, then the rest by file name.  A script that needs another's trained model
  finds it in the cache instead of training it again (each still trains it when it is
  missing, so correctness never depends on the order, only the build time does).
* In a build without execution (``make html-noplot``) named figures do not exist, so a
  grey placeholder is written for each one a page refers to, and the build stays
  warning-free.
* ``.. course-build-times::`` (the Build report page) lists how long each script ran
  in this very build, read from the example pages sphinx-gallery has just written,
  and the wall-clock time of the whole build, filled into the finished HTML page when
  the build ends (sphinx-gallery's own timing pages load scripts from CDNs, so they
  are switched off).

* Numbers from the build (see :mod:`modules.storage.results`): before the scripts run, the
  build points ``GAN_COURSE_RESULTS`` at ``<build dir>/results`` (emptied first), where
  each script records the values its lesson quotes.  ``:result:`script.name``` puts a
  recorded value into a sentence; ``.. build-output:: script`` shows lines the script
  printed in this very build (taken from the example page sphinx-gallery wrote), with a
  caption saying that a student's run differs slightly.  A name or a line the build did
  not produce fails the build; a script the build did not execute (``make html-noplot``,
  or a partial build with ``GAN_COURSE_EXECUTE``) gets a placeholder instead.
* ``GAN_COURSE_EXECUTE=<regex>`` (for maintainers): execute only the scripts whose path
  matches, e.g. ``12_1_2``; pages of the others show placeholders.
* Training on the idle core (``course_background_scripts`` in ``conf.py``): the first
  lesson's scripts train on one CPU thread, so while they run the second core would
  idle.  Each script listed there (one that also trains on one thread) starts as a
  second process when the build starts and trains its runs into the model cache; when
  sphinx-gallery reaches the script (:func:`wait_for_background`, a ``reset_modules``
  hook), it waits for that process and then runs the script as usual, which finds its
  runs in the cache.  The runs are the same either way (same code, settings and thread
  count); only the build is shorter.  The process runs at the lowest scheduling
  priority, so it slows no script of the gallery: it takes only CPU time the gallery
  leaves idle.  A run that trained leaves a stamp in the cache, so a build after a
  change of prose, whose models are all cached, starts no second process.  The
  background process prints nothing to the
  page and records nothing (its records go to a scratch folder); if it fails, the
  gallery's run trains the script itself and reports any error.

Both callables are named by string in ``conf.py`` (a function object there would make
Sphinx warn that the configuration cannot be cached, which ``-W`` turns into an error).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from modules.storage.checkpoints import cache_dir, source_fingerprint
from modules.storage.results import RESULTS_ENV, load_script_results

logger = logging.getLogger(__name__)

NAMED_DIR = "named"
# matplotlib's JavaScript animation player loads Font Awesome 4 from a CDN for its
# buttons; the theme ships Font Awesome 6, which draws the same icons offline.
CDN_STYLESHEET = re.compile(r'<link rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*">\s*')
FIGURE_REF = re.compile(r"^\s*\.\.\s+(?:figure|image)::\s+/(\S+/images/named/\S+\.png)\s*$", re.M)
CARD_IMAGE_REF = re.compile(r"^\s*:img-top:\s+(\S+/images/named/\S+\.png)\s*$", re.M)  # landing-page cards
ANIMATION_REF = re.compile(r"^\s*:file:\s+(\S+/images/named/\S+\.html)\s*$", re.M)


EXECUTE_ENV = "GAN_COURSE_EXECUTE"  # regex: run only the matching scripts (a partial build)
RESULTS_DIR = "results"  # <build dir>/results: the records of this build's scripts
SCRIPT_OUT = re.compile(r"^\.\. rst-class:: sphx-glr-script-out\n\n \.\. code-block:: none\n\n((?:(?: {4}.*)?\n)+)", re.M)


def reset_argv(gallery_conf, script_vars):
    """Command line every gallery script sees during the build."""
    return ["--preset", "docs"]


class TrainersFirst:
    """``within_subsection_order``: ``*_train.py`` scripts first, then by file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (0 if Path(filename).stem.endswith("_train") else 1, filename)


def named_figure_scraper(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper at :data:`~modules.figures.output.DPI`, plus a
    copy of each labelled figure under its name; a figure that cuts off a label is a
    warning, so the site build (``-W``) fails (:func:`~modules.figures.output.outside_figure`)."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation
    from sphinx_gallery.scrapers import matplotlib_scraper

    from modules.figures.output import DPI, outside_figure

    paths = block_vars["image_path_iterator"]
    first = len(paths.paths)
    labels = [plt.figure(num).get_label() for num in plt.get_fignums()]
    animations = {
        id(value._fig): value
        for value in block_vars["example_globals"].values()
        if isinstance(value, Animation) and value._fig.get_label()
    }
    stem = Path(block_vars["src_file"]).stem
    named_dir = Path(paths.image_path).parent / NAMED_DIR
    animated = set()  # labels of animated figures: sphinx-gallery stores those as .gif
    for num in plt.get_fignums():
        anim = animations.get(id(plt.figure(num)))
        if anim is not None:
            animated.add(plt.figure(num).get_label())
            named_dir.mkdir(parents=True, exist_ok=True)
            html = CDN_STYLESHEET.sub("", anim.to_jshtml())
            (named_dir / f"{stem}-{plt.figure(num).get_label()}.html").write_text(html, encoding="utf-8")
    for num in plt.get_fignums():  # a label or title cut off at the edge: a warning, an error under -W
        cut = outside_figure(plt.figure(num))
        if cut:
            logger.warning(f"{stem}: figure {plt.figure(num).get_label() or num} cuts off {'; '.join(cut)} at its edge; give it room (a larger figure, or fig.subplots_adjust)")
    # drawn at twice matplotlib's resolution and shown at half its pixels (sharp_figures)
    rst = CDN_STYLESHEET.sub("", matplotlib_scraper(block, block_vars, gallery_conf, **{"dpi": DPI, **kwargs}))
    seen = block_vars.setdefault("_named_figure_labels", set())  # one dict per script run
    for label, path in zip(labels, paths.paths[first:]):
        if not label:
            continue
        if label in seen:
            raise RuntimeError(f"{stem}: two figures are labelled {label!r}; labels must be unique within a script")
        seen.add(label)
        if label in animated:  # the named artefact of an animation is its .html player
            continue
        target = Path(path).parent / NAMED_DIR / f"{stem}-{label}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return rst


def _executes_scripts(app) -> bool:
    """Whether this build runs the gallery scripts (not ``make html-noplot``)."""
    return str(app.config.sphinx_gallery_conf.get("plot_gallery", True)).lower() not in ("0", "false")


def _partial(app) -> bool:
    """Whether only some scripts run (``GAN_COURSE_EXECUTE``) or none at all."""
    return not _executes_scripts(app) or bool(os.environ.get(EXECUTE_ENV))


def _placeholders_for_noplot(app) -> None:
    """Without execution (or with only some scripts executed), give every named figure
    a page refers to and no script drew a placeholder."""
    if not _partial(app):
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    src = Path(app.srcdir)
    for page in [src / "index.rst", *(src / "docs").rglob("*.rst")]:
        text = page.read_text(encoding="utf-8")
        figures = [src / ref for ref in FIGURE_REF.findall(text)] + [page.parent / ref for ref in CARD_IMAGE_REF.findall(text)]
        for target in figures:
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fig = plt.figure(figsize=(6, 1.5))
            fig.text(0.5, 0.5, f"{target.name}\nis drawn by `make html` (this build skipped execution)", ha="center", va="center")
            fig.savefig(target)
            plt.close(fig)
        for ref in ANIMATION_REF.findall(page.read_text(encoding="utf-8")):
            target = (page.parent / ref).resolve()
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"<p><em>{target.name} is drawn by <code>make html</code> (this build skipped execution)</em></p>\n", encoding="utf-8")


RUNNING_TIME = re.compile(r"\*\*Total running time of the script:\*\*\s*\((\d+) minutes ([\d.]+) seconds\)")
TOTAL_PLACEHOLDER = "course-build-total-pending"
_BUILD_START = time.perf_counter()  # the extension is imported when the build reads conf.py


def script_times(srcdir: Path) -> list[tuple[str, str, float]]:
    """``(lesson folder, script, seconds)`` for every example page sphinx-gallery wrote
    in this build, slowest first."""
    found = []
    for page in sorted((srcdir / "auto_examples").glob("*/*.rst")):
        match = RUNNING_TIME.search(page.read_text(encoding="utf-8"))
        if match:
            found.append((page.parent.name, page.stem, 60 * int(match.group(1)) + float(match.group(2))))
    return sorted(found, key=lambda item: -item[2])


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:04.1f} s"


class BuildTimes(SphinxDirective):
    """The table of script execution times of the current build, and the total."""

    def run(self):
        times = script_times(Path(self.env.srcdir))
        executed = [t for t in times if t[2] > 0]
        lines = []
        if not executed:
            lines += ["This build executed no script (``make html-noplot``): there are no times to report.", ""]
        else:
            total = sum(t[2] for t in executed)
            lines += [
                f"This build executed {len(executed)} scripts in {total:.1f} s ({_minutes(total)}) in all:",
                "",
                ".. list-table::",
                "   :header-rows: 1",
                "   :class: course-build-times",
                "",
                "   * - script",
                "     - lesson",
                "     - seconds",
            ]
            for lesson, script, seconds in executed:
                lines += [
                    f"   * - :ref:`{script}.py <sphx_glr_auto_examples_{lesson}_{script}.py>`",
                    f"     - {'.'.join(lesson.split('_')[:3])}",  # 12_1_4_gan_losses -> 12.1.4
                    f"     - {seconds:.1f}",
                ]
            lines.append("")
            for script, seconds, trained, waited in background_times():
                did = "trained its model" if trained else "found its model in the cache"
                lines += [
                    f"``{script}`` {did} in a second process in {seconds:.1f} s, started with the build "
                    "at the lowest priority so that it used the core the first lesson's scripts left "
                    "idle (see ``course_background_scripts`` in ``conf.py``).  Its row above is the "
                    "gallery's run, which loaded that model from the cache; the gallery waited "
                    f"{waited:.1f} s for the second process, and the sum above includes neither.",
                    "",
                ]
            for script in _SKIPPED:
                lines += [
                    f"``{script}`` needed no second process in this build: an earlier build's had "
                    "trained its models, and they were all in the model cache (see "
                    "``course_background_scripts`` in ``conf.py``).",
                    "",
                ]
        container = nodes.container(classes=["course-build-times"])
        self.state.nested_parse(StringList(lines, source="course-build-times"), self.content_offset, container)
        total = nodes.raw(
            "",
            f'<p>The whole build, from reading the configuration to writing the last page, took '
            f'<span class="course-build-total">{TOTAL_PLACEHOLDER}</span>.</p>',
            format="html",
        )
        return [container, total]


# --------------------------------------------------------------------------------------
# Scripts that train in a second process while the first lessons run
# --------------------------------------------------------------------------------------
class Background:
    """A lesson script running in a second process: ``python <script> --preset docs``
    in the script's folder, with this build's model cache, no display, and its records
    and output kept out of the build (``scratch``)."""

    def __init__(self, script: Path, scratch: Path) -> None:
        self.script = script
        self.log = scratch / f"{script.stem}.log"
        env = {**os.environ, "MPLBACKEND": "Agg", RESULTS_ENV: str(scratch / "results")}
        root = str(Path(__file__).resolve().parents[2])  # the checkout: the script imports its modules/
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        self.cache = cache_dir()
        self.cached_before = self._cached()
        self.started = time.perf_counter()
        # A process group of its own, so that stop() ends any workers it starts too; but
        # the build's session, not a new one: Linux shares CPU time fairly between
        # sessions ("autogroups"), so in a session of its own the lowest priority below
        # would not hold back the process against the gallery's.
        group: dict = {}
        if os.name == "posix":
            group = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, script.name, *reset_argv(None, None)], cwd=script.parent, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **group,
            )
        if hasattr(os, "setpriority"):  # the lowest priority: it takes only what the gallery leaves idle
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, 19)
            except OSError:
                pass
        self.seconds: float | None = None
        self.returncode: int | None = None
        self.trained = False
        self.waited = 0.0  # how long the gallery waited for it
        self.ended: float | None = None  # when the process ended (not when the gallery got to it)
        self._watcher = threading.Thread(target=self._note_end, daemon=True)
        self._watcher.start()

    def _note_end(self) -> None:
        self.process.wait()
        self.ended = time.perf_counter()

    def _cached(self) -> set[str]:
        return {p.name for p in self.cache.glob("*.pt")} if self.cache.is_dir() else set()

    def wait(self) -> None:
        """Wait for the process to end; note its time, its exit status and whether it
        trained anything (new files in the model cache) or found everything there.  A
        run that trained leaves a stamp naming the files, so the next build can skip it."""
        if self.returncode is None:
            self._watcher.join()
            self.returncode = self.process.returncode
            self.seconds = self.ended - self.started
            made = sorted(self._cached() - self.cached_before)
            self.trained = bool(made)
            if self.returncode == 0 and made:
                stamp = background_stamp(self.script)
                tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}.tmp")  # as modules.storage.results writes its records
                tmp.write_text(json.dumps(made))
                os.replace(tmp, stamp)

    def stop(self) -> None:
        if self.process.poll() is None:
            if os.name == "posix":
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            else:
                self.process.kill()
        self.process.wait()


def background_stamp(script: Path) -> Path:
    """The model-cache file that says a background run of ``script`` trained, and which
    cache files it made; named by the script's text, its build command line and the
    code of ``modules/`` (:func:`~modules.storage.checkpoints.source_fingerprint`), so
    an edit of any of them runs it again."""
    key = hashlib.sha256(script.read_bytes() + " ".join(reset_argv(None, None)).encode() + source_fingerprint().encode())
    return cache_dir() / f"background-{script.stem}-{key.hexdigest()[:16]}.json"


def already_trained(script: Path) -> bool:
    """Whether an earlier build's background run of this very script trained models
    that are all still in the cache: then its gallery run loads them, and a second
    process would only repeat its drawing."""
    stamp = background_stamp(script)
    try:
        files = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(files, list) and bool(files) and all((stamp.parent / str(name)).is_file() for name in files)


#: script path -> its Background run, for this build (the gallery runs in this process)
_BACKGROUND: dict[str, Background] = {}
#: the listed scripts this build did not start, because an earlier build's run had cached their models
_SKIPPED: list[str] = []


@atexit.register
def _stop_all() -> None:
    """Stop every background process of this build; also at exit, so that a build that
    ends early (an error, Ctrl-C) leaves no process training behind."""
    for run in _BACKGROUND.values():
        run.stop()


def _start_background(app) -> None:
    """When the build starts: the scripts of ``course_background_scripts`` that this
    build executes start training in second processes."""
    _stop_background(app, None)
    if not _executes_scripts(app) or not app.config.course_background_scripts:
        return
    pattern = app.config.sphinx_gallery_conf.get("filename_pattern", r"\.py$")
    scripts = [(Path(app.srcdir) / "gallery" / name).resolve() for name in app.config.course_background_scripts]
    for name, script in zip(app.config.course_background_scripts, scripts):
        if not script.is_file():
            raise FileNotFoundError(f"course_background_scripts names {name}, but there is no gallery/{name}")
    scripts = [s for s in scripts if re.search(pattern, str(s))]  # a partial build (GAN_COURSE_EXECUTE) may leave some out
    for script in [s for s in scripts if already_trained(s)]:  # a build after a change of prose
        logger.info(f"{script.name}: its models are in the cache from an earlier build; no second process")
        scripts.remove(script)
        _SKIPPED.append(script.name)
    if scripts:
        app.course_background_scratch = scratch = Path(tempfile.mkdtemp(prefix="course-background-"))
        for script in scripts:
            _BACKGROUND[str(script)] = Background(script, scratch)


def wait_for_background(gallery_conf, fname, when):
    """sphinx-gallery's ``reset_modules`` hook: before the gallery runs a script that is
    training in the background, wait for that process to end."""
    if when != "before":
        return
    run = next((r for path, r in _BACKGROUND.items() if Path(path).name == Path(fname).name), None)
    if run is not None and run.returncode is None:
        start = time.perf_counter()
        run.wait()
        run.waited = time.perf_counter() - start
        if run.returncode == 0:
            did = "trained" if run.trained else "found its models in the cache"
            logger.info(f"{run.script.name} {did} in a second process in {run.seconds:.1f} s; the gallery waited {run.waited:.1f} s for it")
        else:
            lines = [line for line in run.log.read_text(errors="replace").splitlines() if line.strip()]
            logger.info(
                f"{run.script.name} failed in its second process (exit status {run.returncode}: "
                f"{lines[-1] if lines else 'no output'}); the gallery's run trains it"
            )


def background_times() -> list[tuple[str, float, bool, float]]:
    """``(script, seconds, trained, waited)`` of the scripts of this build that ran in the
    background without failing; ``trained`` is False when every model they needed was
    already in the cache, ``waited`` how long the gallery waited for the process."""
    return [(run.script.name, run.seconds, run.trained, run.waited) for run in _BACKGROUND.values() if run.seconds is not None and run.returncode == 0]


def _stop_background(app, exception) -> None:
    """At the end of a build (or the start of the next): no background process outlives it."""
    _stop_all()
    _BACKGROUND.clear()
    _SKIPPED.clear()
    scratch = getattr(app, "course_background_scratch", None)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
        app.course_background_scratch = None


def _fill_in_total_time(app, exception) -> None:
    """Write the build's wall-clock time into the pages that show it."""
    if exception is not None or app.builder.format != "html":
        return
    seconds = time.perf_counter() - _BUILD_START
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if TOTAL_PLACEHOLDER in text:
            page.write_text(text.replace(TOTAL_PLACEHOLDER, f"{seconds:.0f} s ({_minutes(seconds)})"), encoding="utf-8")


# --------------------------------------------------------------------------------------
# Numbers and output of this build: :result: and .. build-output::
# --------------------------------------------------------------------------------------
def results_dir(outdir: str | Path) -> Path:
    """Where the scripts of the build writing to ``outdir`` record their results."""
    return Path(outdir).resolve().parent / RESULTS_DIR


def _prepare_results(app) -> None:
    """Before sphinx-gallery runs the scripts: an empty results folder, named in the
    environment the scripts inherit (they run in this process)."""
    if not _executes_scripts(app):
        app.course_results = None
        return
    folder = results_dir(app.outdir)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[RESULTS_ENV] = str(folder)
    app.course_results = folder


def example_page(srcdir: Path, script: str) -> Path | None:
    """The example page sphinx-gallery wrote for ``script`` (None if there is none)."""
    pages = list((Path(srcdir) / "auto_examples").glob(f"*/{script}.rst"))
    return pages[0] if len(pages) == 1 else None


def was_executed(srcdir: Path, script: str) -> bool:
    """Whether this build ran ``script`` (its example page reports a running time)."""
    page = example_page(srcdir, script)
    if page is None:
        return False
    match = RUNNING_TIME.search(page.read_text(encoding="utf-8"))
    return bool(match) and 60 * int(match.group(1)) + float(match.group(2)) > 0


def printed_lines(srcdir: Path, script: str) -> list[str]:
    """Everything ``script`` printed in this build, line by line (from its example page)."""
    page = example_page(srcdir, script)
    if page is None:
        return []
    lines: list[str] = []
    for block in SCRIPT_OUT.findall(page.read_text(encoding="utf-8")):
        body = [line[4:] for line in block.splitlines()]
        while body and not body[-1].strip():
            body.pop()
        lines += body
    return lines


def select_lines(lines: list[str], options: dict) -> list[str]:
    """The lines ``.. build-output::`` shows: from ``start-at``/``start-after`` to
    ``end-at``/``end-before`` (substrings; the first line that contains them), then only
    those matching ``grep`` (a regular expression).  Raises ValueError when a marker is
    not found or nothing is left."""
    start, stop = 0, len(lines)
    for key, offset in (("start-at", 0), ("start-after", 1)):
        if key in options:
            found = [i for i, line in enumerate(lines) if options[key] in line]
            if not found:
                raise ValueError(f"no printed line contains {key} {options[key]!r}")
            start = found[0] + offset
    for key, offset in (("end-at", 1), ("end-before", 0)):
        if key in options:
            found = [i for i, line in enumerate(lines) if i >= start and options[key] in line]
            if not found:
                raise ValueError(f"no printed line after the start contains {key} {options[key]!r}")
            stop = found[0] + offset
    chosen = lines[start:stop]
    if "grep" in options:
        pattern = re.compile(options["grep"])
        chosen = [line for line in chosen if pattern.search(line)]
    if not any(line.strip() for line in chosen):
        raise ValueError("the selection is empty")
    return chosen


PLACEHOLDER_TEXT = "(shown when the site is built with make html)"


class BuildOutput(SphinxDirective):
    """``.. build-output:: <script>``: lines the script printed in this very build.

    Options (all optional): ``:start-at:``, ``:start-after:``, ``:end-at:``,
    ``:end-before:`` (substrings of printed lines), ``:grep:`` (a regular expression
    the shown lines match), ``:caption:`` (replaces the default caption)."""

    required_arguments = 1
    option_spec = {
        "start-at": str, "start-after": str, "end-at": str, "end-before": str, "grep": str, "caption": str,
    }

    def run(self):
        script = self.arguments[0].removesuffix(".py")
        srcdir = Path(self.env.srcdir)
        self.env.note_dependency(str(srcdir / "auto_examples"))
        if example_page(srcdir, script) is None:
            raise self.error(f"build-output: there is no gallery script named {script}.py")
        if not was_executed(srcdir, script):
            text = PLACEHOLDER_TEXT
        else:
            try:
                text = "\n".join(select_lines(printed_lines(srcdir, script), self.options))
            except ValueError as err:
                raise self.error(f"build-output {script}: {err}") from None
        caption = self.options.get(
            "caption",
            f"Printed by ``{script}.py --preset docs`` when this site was built. "
            "Your run prints slightly different numbers: PyTorch rounds differently on other processors.",
        )
        block = nodes.literal_block(text, text, classes=["expected-output", f"output--{script}"])
        block["language"] = "text"
        wrapper = nodes.container("", literal_block=True, classes=["literal-block-wrapper", "build-output"])
        parsed, _ = self.state.inline_text(caption, self.lineno)
        wrapper += nodes.caption(caption, "", *parsed)
        wrapper += block
        self.set_source_info(block)
        return [wrapper]


def _recorded(app, script: str) -> dict | None:
    folder = getattr(app, "course_results", None)
    if folder is None:
        return None
    return load_script_results(script, folder)


def result_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:result:`script.name```: the text the script recorded for ``name`` in this build."""
    env = inliner.document.settings.env
    script, _, key = text.strip().partition(".")
    classes = ["course-result", f"result--{script}--{key}"]
    if not key:
        msg = inliner.reporter.error(f"result {text!r}: write script.name", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    srcdir = Path(env.srcdir)
    if example_page(srcdir, script) is None:
        msg = inliner.reporter.error(f"result {text!r}: there is no gallery script named {script}.py", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    env.note_dependency(str(srcdir / "auto_examples"))
    records = _recorded(env.app, script)
    if records is None and not was_executed(srcdir, script):
        return [nodes.inline(rawtext, "…", classes=[*classes, "course-result-placeholder"])], []
    if records is None or key not in records:
        msg = inliner.reporter.error(f"result {text!r}: {script}.py recorded no {key!r} in this build", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [nodes.inline(rawtext, records[key]["text"], classes=classes)], []


def setup(app):
    # after sphinx-gallery's own builder-inited handler (priority 500)
    app.add_config_value("course_background_scripts", [], "env", types=[list, tuple])
    app.connect("builder-inited", _prepare_results, priority=100)  # before the scripts run
    app.connect("builder-inited", _start_background, priority=110)  # (the gallery runs at 500)
    app.connect("build-finished", _stop_background)
    app.connect("builder-inited", _placeholders_for_noplot, priority=900)
    app.add_role("result", result_role)
    app.add_directive("build-output", BuildOutput)
    app.add_directive("course-build-times", BuildTimes)
    app.connect("build-finished", _fill_in_total_time)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
