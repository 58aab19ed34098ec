"""Figures drawn for high-density screens: two image pixels per CSS pixel.

The scraper (``course_build.named_figure_scraper``) saves every figure at
:data:`modules.figures.output.DPI` (200), twice matplotlib's 100.  Shown at its
pixel size, such a figure would be twice as large as it was drawn; this extension
gives every such image on the site (an example page's figures and a lesson's
``figure`` of a named copy) an HTML width of half its pixels, so it appears at the
size the script drew it and sharp on a screen of two device pixels per CSS pixel
(the images shrink with the page on a narrow screen).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

GENERATED = "auto_examples/"


def half_width(path: Path) -> int | None:
    """Half the pixel width of the PNG at ``path`` (``None`` when it is not one)."""
    if path.suffix.lower() != ".png" or not path.is_file():
        return None
    with path.open("rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return max(1, int.from_bytes(head[16:20], "big") // 2)


def _source_path(app, docname: str, uri: str) -> Path | None:
    if GENERATED not in uri or "/images/" not in uri or "/thumb/" in uri:
        return None
    # relative to the source folder (absolute in the directive, or once Sphinx has
    # normalised it), else to the page's own folder
    candidates = (Path(app.srcdir) / uri.lstrip("/"), (Path(app.srcdir) / docname).parent / uri)
    return next((path for path in candidates if path.is_file()), None)


def _set_widths(app, doctree) -> None:
    """A lesson's ``figure`` of a generated PNG: shown at half its pixel width."""
    for node in doctree.findall(nodes.image):
        if node.get("width"):
            continue
        path = _source_path(app, app.env.docname, node["uri"])
        width = half_width(path) if path else None
        if width:
            node["width"] = f"{width}px"


def _visit_imgsg_html(self, node) -> None:
    """sphinx-gallery's ``image-sg`` node (an example page's figure), with a width
    attribute of half its pixels."""
    from sphinx_gallery.directives import visit_imgsg_html

    before = len(self.body)
    visit_imgsg_html(self, node)
    path = Path(self.builder.srcdir) / node["uri"].lstrip("/")
    width = half_width(path)
    if width and len(self.body) > before and self.body[-1].startswith("<img ") and " width=" not in self.body[-1]:
        self.body[-1] = self.body[-1].replace("<img ", f'<img width="{width}" ', 1)


def setup(app):
    from sphinx_gallery.directives import depart_imgsg_html, imgsgnode

    app.connect("doctree-read", _set_widths)
    app.add_node(imgsgnode, override=True, html=(_visit_imgsg_html, depart_imgsg_html))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
