"""Helpers and whole checks shared by the lesson-claims tests (``test_lesson_claims_*.py``).

A lesson pastes no number from a run (the build pulls them in: ``test_build_quotes.py``)
and every sentence that interprets a run rests on a gate (``lesson_gates/``).  What
every lesson is otherwise checked for in the same way lives here:

* text: :func:`block`, :func:`normalised`, :func:`one_line`, :func:`section`;
* figures: :func:`shown_figures`, :func:`draws_label`, :func:`directive_block` and
  :func:`check_figure_is_drawn` (the caption names the docs preset);
* links: :func:`check_downloads_and_example_links`;
* flags: :func:`scripts_named`, :func:`mentioned_flags`, :func:`has_flag`,
  :func:`help_texts` and :func:`check_flags_exist`;
* included code: :func:`defined_objects` and :func:`check_literalincludes`;
* references: :func:`defined_references`, :func:`check_defined_nowhere_else` and
  :func:`check_references`;
* numbers and format: :func:`check_decimals_are_checked` (every decimal left in the
  prose is a known setting) and :func:`check_course_format`;
* scripts' settings: :func:`constants`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterable, Sequence

from course import GALLERY, ROOT, run_script, script_path

FIGURE = re.compile(r"^\s*\.\.\s+figure::\s+/auto_examples/(\w+)/images/named/(\w+)-(\w+)\.png\s*$", re.M)
ANIMATION = re.compile(r"^\s*:file:\s+\.\./auto_examples/(\w+)/images/named/(\w+)-(\w+)\.html\s*$", re.M)
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
LITERALINCLUDE = re.compile(r"^\.\. literalinclude:: (\S+)\n((?:   :.*\n)+)", re.M)
REFERENCE = re.compile(r"^\.\. \[(\w+)\]", re.M)


# --------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------
def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def block(*lines: str) -> str:
    """Consecutive printed lines as they appear in a lesson's code block (three spaces
    of RST indentation before every line after the first)."""
    return "\n   ".join(lines)


def normalised(text: str) -> str:
    """Lines stripped of their indentation (code-block indentation, column padding at
    the start of a printed line), joined again."""
    return "\n".join(line.strip() for line in text.splitlines())


EXPECTED_OUTPUT = re.compile(r"^\.\. code-block:: text\n   :class: expected-output\n\n((?:   .*\n)+)", re.M)


def expected_output_blocks(text: str) -> list[str]:
    """The bodies of pasted ``.. code-block:: text`` / ``:class: expected-output``
    blocks (a lesson should have none: its output comes from ``build-output``)."""
    return EXPECTED_OUTPUT.findall(text)


def one_line(text: str) -> str:
    return " ".join(text.split()).lower()


def section(text: str, start: str = "Quick Start", end: str = "Core Concepts") -> str:
    """The part of a lesson between the first ``start`` and the next ``end``."""
    return text.split(start, 1)[1].split(end, 1)[0]


def directive_block(text: str, target: str) -> str:
    """The directive whose first line names ``target``, with its options and caption."""
    lines = text.split(target, 1)[1].splitlines()[1:]
    body = []
    for line in lines:
        if line.strip() and not line.startswith("   "):
            break
        body.append(line)
    return "\n".join(body)


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------
def shown_figures(text: str, *, animations: bool = False) -> list[tuple[str, str, str]]:
    """``(folder, script, label)`` of every ``.. figure:: .../named/<script>-<label>.png``
    (and, with ``animations``, every ``:file: .../named/<script>-<label>.html``)."""
    refs = FIGURE.findall(text)
    if animations:
        refs += ANIMATION.findall(text)
    return refs


def draws_label(source: str, label: str, *, loop_over: Sequence[str] = ()) -> bool:
    """Whether the script passes ``label`` to a plotting function: literally, or, for
    each ``name`` of ``loop_over`` (say ``("ring", "grid")``), as
    ``label=f"<prefix>_{name}"`` inside ``for name in ("ring", "grid"):``."""
    if f'label="{label}"' in source:
        return True
    if not loop_over:
        return False
    match = re.fullmatch(rf"(\w+?)_({'|'.join(map(re.escape, loop_over))})", label)
    loop = "for name in (" + ", ".join(f'"{name}"' for name in loop_over) + "):"
    return bool(match and f'label=f"{match.group(1)}_{{name}}"' in source and loop in source)


def check_figure_is_drawn(
    lesson: Path,
    folder: str,
    script: str,
    label: str,
    *,
    own_folder: str | None = None,
    loop_over: Sequence[str] = (),
    caption: bool = True,
) -> str | None:
    """The figure ``<folder>/<script>-<label>`` the lesson shows is drawn by
    ``gallery/<folder>/<script>.py`` (in ``own_folder`` where given), and, with
    ``caption``, its caption says the docs preset drew it.  Returns the caption, on one
    lower-case line (None without ``caption``)."""
    if own_folder is not None:
        assert folder == own_folder, f"{lesson.name} shows a figure of {folder}, not of {own_folder}"
    source = GALLERY / folder / f"{script}.py"
    assert source.is_file(), f"{lesson.name} shows a figure of {folder}/{script}.py, which does not exist"
    assert draws_label(read(source), label, loop_over=loop_over), f"{script}.py draws no figure labelled {label!r}"
    if not caption:
        return None
    text = one_line(directive_block(read(lesson), f"{script}-{label}.png"))
    assert "docs preset" in text, f"the caption of {script}-{label} does not say which preset drew it"
    return text


# --------------------------------------------------------------------------------------
# Downloads and example links
# --------------------------------------------------------------------------------------
def check_downloads_and_example_links(lesson: Path, *, own: Sequence[str] | None = None) -> list[str]:
    """Every ``:download:`` and example ``:ref:`` of the lesson points at a gallery
    script, and the lesson offers a download and a link of each script of its own
    gallery folder (``gallery/<lesson stem>``, whose scripts are ``own`` where given).
    Returns those scripts."""
    text = read(lesson)
    downloads = re.findall(r":download:`[^`<]*<(/gallery/[^>]+\.py)>`", text)
    examples = re.findall(r":ref:`sphx_glr_auto_examples_(\w+)\.py`", text)
    assert downloads and examples
    for path in downloads:
        assert (ROOT / path.lstrip("/")).is_file(), path
    pages = {f"{p.parent.name}_{p.stem}" for p in GALLERY.glob("*/*.py")}
    for name in examples:
        assert name in pages, f"{lesson.name} links the example page of {name}.py, which is no gallery script"
    scripts = sorted(p.stem for p in (GALLERY / lesson.stem).glob("*.py"))
    if own is not None:
        assert scripts == list(own)
    for script in scripts:
        assert f"/gallery/{lesson.stem}/{script}.py>" in text, f"{lesson.name} offers no download of {script}.py"
        assert f"sphx_glr_auto_examples_{lesson.stem}_{script}.py" in text, f"{lesson.name} does not link {script}.py's page"
    return scripts


# --------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------
def scripts_named(text: str) -> list[str]:
    """The gallery scripts a lesson names by path (downloads, literalincludes), sorted."""
    return sorted({Path(p).stem for p in re.findall(r"/gallery/[^>\s]+\.py", text)})


def mentioned_flags(text: str) -> list[str]:
    """Every ``--flag`` the text mentions, once each, sorted."""
    return sorted(set(FLAG.findall(text)))


def has_flag(text: str, flag: str) -> bool:
    """Whether ``flag`` stands in ``text`` as a whole flag (not part of a longer one)."""
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


def help_texts(scripts: Iterable[str]) -> dict[str, str]:
    """``script --help`` of each script (which must succeed)."""
    helps = {}
    for script in scripts:
        run = run_script(script, "--help")
        assert run.returncode == 0, run.stderr
        helps[script] = run.stdout
    return helps


def check_flags_exist(
    lesson: Path, scripts: Iterable[str] | None = None, *, must_mention: Iterable[str] = ()
) -> dict[str, str]:
    """Every flag the lesson mentions is in the ``--help`` of one of ``scripts`` (by
    default the gallery scripts the lesson names), and the lesson mentions each flag of
    ``must_mention``.  Returns the help texts."""
    text = read(lesson)
    helps = help_texts(scripts_named(text) if scripts is None else scripts)
    every_help = "".join(helps.values())
    flags = mentioned_flags(text)
    assert set(must_mention) <= set(flags), f"{lesson.name} no longer mentions {sorted(set(must_mention) - set(flags))}"
    for flag in flags:
        assert has_flag(every_help, flag), f"{lesson.name} mentions {flag}, which no script of it has"
    return helps


# --------------------------------------------------------------------------------------
# literalinclude
# --------------------------------------------------------------------------------------
def defined_objects(source: str) -> set[str]:
    """What ``:pyobject:`` may name in a module: its top-level functions and classes, and
    ``Class.method`` for the methods of the first top-level definition of each name
    that is a class."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name in names:
            continue
        names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    return names


def check_literalincludes(lesson: Path, *, at_least: int) -> list[tuple[str, str]]:
    """The lesson has at least ``at_least`` ``literalinclude`` directives; each included
    file exists, each ``:pyobject:`` is defined in it, each ``:start-at:``,
    ``:end-at:`` and ``:end-before:`` string occurs in it and each ``:start-at:`` string
    once (so the shown code cannot silently vanish when the source changes).  Returns
    ``(target, options)`` of each."""
    includes = LITERALINCLUDE.findall(read(lesson))
    assert len(includes) >= at_least, f"{lesson.name} has {len(includes)} literalincludes, fewer than {at_least}"
    for target, options in includes:
        path = ROOT / target.lstrip("/")
        assert path.is_file(), target
        source = read(path)
        opts = dict(re.findall(r"^   :([\w-]+):\s*(.*)$", options, re.M))
        if "pyobject" in opts:
            assert opts["pyobject"] in defined_objects(source), f"{target} defines no {opts['pyobject']}"
        for key in ("start-at", "end-at", "end-before"):
            if key in opts:
                assert opts[key] in source, f"{target}: {key} {opts[key]!r} not found"
        if "start-at" in opts:
            assert source.count(opts["start-at"]) == 1, f"{target}: start-at {opts['start-at']!r} is not unique"
    return includes


# --------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------
def defined_references(text: str) -> set[str]:
    """The labels of the ``.. [Label]`` citations a page defines."""
    return set(REFERENCE.findall(text))


def check_defined_nowhere_else(lesson: Path, labels: Iterable[str]) -> None:
    """No other page of docs/ defines any of ``labels`` (``.. [Label]`` anywhere in it)."""
    labels = sorted(labels)
    for other in (ROOT / "docs").glob("*.rst"):
        if other == lesson:
            continue
        text = read(other)
        for label in labels:
            assert f".. [{label}]" not in text, f"{other.name} defines {label} too"


def check_references(lesson: Path, own: Sequence[str], cited_from_elsewhere: Sequence[str] = ()) -> None:
    """The lesson defines exactly ``own`` (and no other page does), cites each of them
    in its text, and cites nothing else but ``cited_from_elsewhere``, which other pages
    define."""
    text = read(lesson)
    assert defined_references(text) == set(own)
    check_defined_nowhere_else(lesson, own)
    body = text.split("\nReferences\n==========")[0]
    for label in own:
        assert f"[{label}]_" in body, f"{label} is defined but never cited in the text"
    for label in cited_from_elsewhere:
        assert f"[{label}]_" in text, f"{label} is no longer cited"
        assert any(f".. [{label}]" in read(other) for other in (ROOT / "docs").glob("*.rst") if other != lesson), label
    for label in set(re.findall(r"\[(\w+)\]_", text)):
        assert label in own or label in cited_from_elsewhere, f"{label} is cited but not accounted for"


# --------------------------------------------------------------------------------------
# Numbers in the prose
# --------------------------------------------------------------------------------------
DECIMAL = r"(?<![\w.])-?\d+\.\d+(?![\d.])"


def check_decimals_are_checked(lesson: Path, quotes: Iterable[str], settings: Iterable[str]) -> None:
    """Every decimal number the lesson states before its references is part of a
    checked quote or one of ``settings`` (numbers a test checks against the code)."""
    text = read(lesson).split("\nReferences\n==========")[0]
    printed = set(re.findall(DECIMAL, " ".join(quotes)))
    settings = set(settings)
    for number in set(re.findall(DECIMAL, text)):
        assert number in printed or number in settings, f"{number} is neither a checked quote nor a known setting"


def check_course_format(lesson: Path, label: str, duration: str, level: str, dropdowns: int) -> None:
    """The title block, the sections of the seed format and answers in dropdowns."""
    text = read(lesson)
    assert text.startswith(f".. _{label}:\n")
    assert f":Duration: {duration}" in text and f":Level: {level}" in text
    for heading in (
        "Overview", "Learning Objectives", "Quick Start: See It In Action", "Core Concepts", "Hands-On Exercises",
        "Summary", "Key Takeaways", "Common Pitfalls", "References",
    ):
        assert f"\n{heading}\n" in text, heading
    assert text.count(".. dropdown::") >= dropdowns


# --------------------------------------------------------------------------------------
# Scripts' settings
# --------------------------------------------------------------------------------------
def constants(script: str) -> dict:
    """The top-of-file constants of a gallery script (literal values only)."""
    tree = ast.parse(read(script_path(script)))
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return values
