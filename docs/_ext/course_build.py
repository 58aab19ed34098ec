"""Sphinx glue for the course build (referenced from ``conf.py`` by dotted name).

* :func:`reset_argv` -- every gallery script runs with ``--preset docs`` during the
  build, so the site is built from the small, fast preset.
* :func:`named_figure_scraper` -- sphinx-gallery numbers the figures of a script in the
  order they appear (``sphx_glr_<script>_001.png``, ...).  Lesson pages must not depend
  on that order, so every figure that has a label (``fig.set_label("training_results")``,
  done by :mod:`modules.plotting`) is also saved as
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

Both callables are named by string in ``conf.py`` (a function object there would make
Sphinx warn that the configuration cannot be cached, which ``-W`` turns into an error).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

NAMED_DIR = "named"
# matplotlib's JavaScript animation player loads Font Awesome 4 from a CDN for its
# buttons; the theme ships Font Awesome 6, which draws the same icons offline.
CDN_STYLESHEET = re.compile(r'<link rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*">\s*')
FIGURE_REF = re.compile(r"^\s*\.\.\s+(?:figure|image)::\s+/(\S+/images/named/\S+\.png)\s*$", re.M)
CARD_IMAGE_REF = re.compile(r"^\s*:img-top:\s+(\S+/images/named/\S+\.png)\s*$", re.M)  # landing-page cards
ANIMATION_REF = re.compile(r"^\s*:file:\s+(\S+/images/named/\S+\.html)\s*$", re.M)


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
    """sphinx-gallery's matplotlib scraper, plus a copy of each labelled figure under its name."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation
    from sphinx_gallery.scrapers import matplotlib_scraper

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
    rst = CDN_STYLESHEET.sub("", matplotlib_scraper(block, block_vars, gallery_conf, **kwargs))
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


def _placeholders_for_noplot(app) -> None:
    """Without execution, give every named figure a page refers to a placeholder."""
    conf = app.config.sphinx_gallery_conf
    if str(conf.get("plot_gallery", True)).lower() not in ("0", "false"):
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
        container = nodes.container(classes=["course-build-times"])
        self.state.nested_parse(StringList(lines, source="course-build-times"), self.content_offset, container)
        total = nodes.raw(
            "",
            f'<p>The whole build, from reading the configuration to writing the last page, took '
            f'<span class="course-build-total">{TOTAL_PLACEHOLDER}</span>.</p>',
            format="html",
        )
        return [container, total]


def _fill_in_total_time(app, exception) -> None:
    """Write the build's wall-clock time into the pages that show it."""
    if exception is not None or app.builder.format != "html":
        return
    seconds = time.perf_counter() - _BUILD_START
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if TOTAL_PLACEHOLDER in text:
            page.write_text(text.replace(TOTAL_PLACEHOLDER, f"{seconds:.0f} s ({_minutes(seconds)})"), encoding="utf-8")


def setup(app):
    # after sphinx-gallery's own builder-inited handler (priority 500)
    app.connect("builder-inited", _placeholders_for_noplot, priority=900)
    app.add_directive("course-build-times", BuildTimes)
    app.connect("build-finished", _fill_in_total_time)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
