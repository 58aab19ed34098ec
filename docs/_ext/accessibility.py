"""Accessibility of the built pages: what axe-core's serious and critical rules ask.

``tests/test_accessibility.py`` runs axe-core in a browser on every lesson, example
and landing page.  What it found came from the tools that write the pages, not from
the lessons' text, so the fixes live here (and, where a template or a stylesheet is the
cause, in ``docs/_templates/`` and ``docs/_static/course.css``), each named by its axe
rule:

* ``aria-required-children`` -- docutils writes the citations of a page (``.. [Name]``)
  as ``<div role="list">`` holding ``<div role="doc-biblioentry">`` entries; that DPUB
  role is deprecated and is not a list item, so the list has no item a screen reader
  can count.  :func:`visit_citation` writes each entry as ``role="listitem"``.
* ``image-alt`` and ``label`` -- matplotlib's JavaScript animation player (sphinx-gallery
  embeds it in an example page, a lesson embeds the same player with ``.. raw:: html``)
  shows its frames in an ``<img>`` without ``alt`` and has a frame slider
  ``<input type="range">`` without a label.  :func:`label_animation_players` gives the
  image a text alternative (what the animation shows, from its file's name or the
  section it is in) and the slider an ``aria-label``.
* ``summary-name`` -- the theme's navigation sidebar opens and closes a chapter's list
  of pages with a ``<summary>`` that holds only a chevron icon, so it has no name.
  :func:`name_toctree_toggles` names each one after the page whose list it opens.
* ``label-content-name-mismatch`` (an experimental axe rule the test runs too) -- the
  theme's search button shows "Search Ctrl+K" but is labelled "Search" only;
  ``docs/_templates/search-button-field.html`` drops the ``aria-label``, so the button's
  name is the text it shows.
* ``link-name`` -- sphinx-gallery's thumbnails (the gallery's index pages) hide their
  link's only text with ``display: none``; ``course.css`` hides it visually only.
"""

from __future__ import annotations

import re

from docutils import nodes

# matplotlib's player (matplotlib/_animation_data.py): <img id="_anim_img<id>"> for the
# frames, <input id="_anim_slider<id>" type="range"> to pick one
ANIMATION_IMAGE = re.compile(r'<img id="_anim_img(\w+)"(?P<attrs>[^>]*)>')
ANIMATION_SLIDER = re.compile(r'<input id="_anim_slider(\w+)"(?P<attrs>[^>]*)>')
# a lesson embeds the player course_build.py wrote as images/named/<script>-<label>.html
NAMED_PLAYER = re.compile(r"[/\\]images[/\\]named[/\\][^/\\]+?-(?P<label>[^/\\-]+)\.html$")


def visit_citation(self, node: nodes.citation) -> None:
    """``aria-required-children``: docutils' own citation, as a list item of its list."""
    type(self).visit_citation(self, node)  # the translator's method, not this handler
    self.body[-1] = self.body[-1].replace('role="doc-biblioentry"', 'role="listitem"')


def _animation_subject(node: nodes.raw) -> str:
    """What an animation shows: its label (``latent_walk``, the name a lesson's player
    file carries), else the title of the section it is in."""
    match = NAMED_PLAYER.search(str(node.get("source", "")))
    if match:
        return match.group("label").replace("_", " ")
    section = node.parent
    while section is not None and not isinstance(section, nodes.section):
        section = section.parent
    if section is not None and section.children and isinstance(section[0], nodes.title):
        return section[0].astext()
    return ""


def label_animation_players(app, doctree: nodes.document, docname: str) -> None:
    """``image-alt`` and ``label``: name the frame image and the frame slider of every
    matplotlib animation player on the page (``doctree-resolved``)."""
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split() or "_anim_img" not in node.astext():
            continue
        subject = _animation_subject(node)
        alt = (f"Animation: {subject}. " if subject else "Animation. ") + (
            "The frame shown now; the controls below play the animation and step through its frames."
        )
        alt = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")

        def with_alt(match: re.Match) -> str:
            if re.search(r"\balt=", match.group("attrs")):
                return match.group(0)
            return f'<img id="_anim_img{match.group(1)}" alt="{alt}"{match.group("attrs")}>'

        def with_label(match: re.Match) -> str:
            if re.search(r"\baria-label(ledby)?=", match.group("attrs")):
                return match.group(0)
            return f'<input id="_anim_slider{match.group(1)}" aria-label="Animation frame"{match.group("attrs")}>'

        html = ANIMATION_SLIDER.sub(with_label, ANIMATION_IMAGE.sub(with_alt, node.astext()))
        node.replace(node[0], nodes.Text(html))


def name_toctree_toggles(app, pagename, templatename, context, doctree) -> None:
    """``summary-name``: the theme builds its navigation sidebar with
    ``generate_toctree_html`` (a template function it puts in every page's context); the
    ``<summary>`` that opens a page's sub-list holds only an icon.  Wrap the function so
    that each such ``<summary>`` gets an ``aria-label`` naming that page."""
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "_names_toggles", False):
        return

    def generate_toctree_html(*args, **kwargs):
        soup = generate(*args, **kwargs)
        if hasattr(soup, "select"):  # a BeautifulSoup tree (the theme renders it as HTML)
            for summary in soup.select("li > details > summary"):
                if summary.get_text(strip=True) or summary.get("aria-label"):
                    continue  # a caption in the summary names it already
                link = summary.parent.parent.find("a", recursive=False)
                title = link.get_text(" ", strip=True) if link is not None else ""
                summary["aria-label"] = f"Toggle navigation of {title}" if title else "Toggle navigation"
        return soup

    generate_toctree_html._names_toggles = True
    context["generate_toctree_html"] = generate_toctree_html


def setup(app):
    # override=True: docutils' citation has visitors of its own; this one only changes
    # the role the entries get (see visit_citation)
    app.add_node(nodes.citation, override=True, html=(visit_citation, None))
    app.connect("doctree-resolved", label_animation_players)
    # after the theme's own html-page-context handler (default priority 500) has put
    # generate_toctree_html in the context
    app.connect("html-page-context", name_toctree_toggles, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
