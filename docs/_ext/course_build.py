"""Sphinx glue for the course build (referenced from ``conf.py`` by dotted name).

* :func:`reset_argv` -- every gallery script runs with ``--preset docs`` during the
  build, so the site is built from the small, fast preset.
* :func:`named_figure_scraper` -- sphinx-gallery numbers the figures of a script in the
  order they appear (``sphx_glr_<script>_001.png``, ...).  Lesson pages must not depend
  on that order, so every figure that has a label (``fig.set_label("training_results")``,
  done by :mod:`modules.plotting`) is also saved as
  ``<gallery dir>/images/named/<script>-<label>.png``; lessons refer to those names.
* In a build without execution (``make html-noplot``) named figures do not exist, so a
  grey placeholder is written for each one a page refers to, and the build stays
  warning-free.

Both callables are named by string in ``conf.py`` (a function object there would make
Sphinx warn that the configuration cannot be cached, which ``-W`` turns into an error).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

NAMED_DIR = "named"
FIGURE_REF = re.compile(r"^\s*\.\.\s+(?:figure|image)::\s+/(\S+/images/named/\S+\.png)\s*$", re.M)


def reset_argv(gallery_conf, script_vars):
    """Command line every gallery script sees during the build."""
    return ["--preset", "docs"]


def named_figure_scraper(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper, plus a copy of each labelled figure under its name."""
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper

    paths = block_vars["image_path_iterator"]
    first = len(paths.paths)
    labels = [plt.figure(num).get_label() for num in plt.get_fignums()]
    rst = matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)
    stem = Path(block_vars["src_file"]).stem
    seen = block_vars.setdefault("_named_figure_labels", set())  # one dict per script run
    for label, path in zip(labels, paths.paths[first:]):
        if not label:
            continue
        if label in seen:
            raise RuntimeError(f"{stem}: two figures are labelled {label!r}; labels must be unique within a script")
        seen.add(label)
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
    for page in (src / "docs").rglob("*.rst"):
        for ref in FIGURE_REF.findall(page.read_text(encoding="utf-8")):
            target = src / ref
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fig = plt.figure(figsize=(6, 1.5))
            fig.text(0.5, 0.5, f"{target.name}\nis drawn by `make html` (this build skipped execution)", ha="center", va="center")
            fig.savefig(target)
            plt.close(fig)


def setup(app):
    # after sphinx-gallery's own builder-inited handler (priority 500)
    app.connect("builder-inited", _placeholders_for_noplot, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
