"""MathJax served from the site itself, only the parts the site uses.

The formulas render without a network: MathJax 3 comes from the installed package
``sphinx-mathjax-offline`` (its files, not its extension, which copies all 24 MB of
every MathJax component into every build).  The site loads ``tex-chtml.js`` (TeX in,
HTML and CSS out, with the context menu and the assistive MathML built in), and that
file loads, when a page needs them, only:

* the CommonHTML fonts (``output/chtml/fonts/woff-v2``);
* the TeX extensions that its ``autoload`` pulls in for a macro outside the core
  (``input/tex/extensions``);
* the accessibility tools a reader can switch on in the formula's menu (speech,
  exploring a formula by keyboard: ``a11y/`` and the speech rules ``sre/``, in English
  and Nemeth braille, the languages the course is written in and reads in).

Nothing else is copied.  The browser tests load every lesson with the network off and
fail on any request that does not succeed, a missing MathJax file included.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

#: what the site serves, relative to MathJax's folder (folders are copied whole)
PARTS = (
    "tex-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
    "a11y",
    "sre/mathmaps/base.json",
    "sre/mathmaps/en.json",
    "sre/mathmaps/nemeth.json",
)


def mathjax_source() -> Path:
    """MathJax's folder inside the installed ``sphinx-mathjax-offline`` package."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise ExtensionError("offline_mathjax: the package sphinx-mathjax-offline is not installed (pip install -e '.[docs]')")
    return Path(spec.origin).parent / "static" / "mathjax"


def copy_parts(target: Path, source: Path | None = None) -> int:
    """Copy :data:`PARTS` of MathJax to ``target``; returns the bytes copied."""
    source = mathjax_source() if source is None else source
    if target.exists():
        shutil.rmtree(target)
    for part in PARTS:
        src, dst = source / part, target / part
        if not src.exists():
            raise ExtensionError(f"offline_mathjax: {src} is missing from the installed MathJax")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def _copy(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        copy_parts(Path(app.outdir) / "_static" / "mathjax")


def setup(app):
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.connect("build-finished", _copy)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
