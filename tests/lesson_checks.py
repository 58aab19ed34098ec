"""Helpers and whole checks shared by the lesson-claims tests (``test_lesson_claims_*.py``).

A lesson pastes no number from a run (the build pulls them in: ``test_build_quotes.py``)
and every sentence that interprets a run rests on a gate (``lesson_gates/``).  What
every lesson is otherwise checked for in the same way lives here:

* text: :func:`block`, :func:`normalised`, :func:`one_line`, :func:`section`;
* figures: :func:`shown_figures`, :func:`directive_block` and :func:`check_figure_is_drawn`
  (the script draws it, see :func:`draws`; the caption names the docs preset);
* links: :func:`check_downloads_and_example_links`;
* flags: :func:`scripts_named`, :func:`mentioned_flags`, :func:`has_flag`,
  :func:`help_texts` and :func:`check_flags_exist`;
* included code: :func:`defined_objects` and :func:`check_literalincludes`;
* references: :func:`defined_references`, :func:`check_defined_nowhere_else` and
  :func:`check_references`;
* numbers and format: :func:`check_decimals_are_checked` (every decimal left in the
  prose is a known setting) and :func:`check_course_format`;
* scripts' settings: :func:`constants` and :func:`recipe_presets`;
* what a script records, prints and draws, read from its syntax tree:
  :func:`recorded_names`, :func:`records`, :func:`prints`, :func:`draws`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any, Iterable, Sequence

from course import GALLERY, ROOT, run_script, script_path, script_help

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


def check_figure_is_drawn(
    lesson: Path,
    folder: str,
    script: str,
    label: str,
    *,
    own_folder: str | None = None,
    caption: bool = True,
) -> str | None:
    """The figure ``<folder>/<script>-<label>`` the lesson shows is drawn by
    ``gallery/<folder>/<script>.py`` (in ``own_folder`` where given; see :func:`draws`),
    and, with ``caption``, its caption says the docs preset drew it.  Returns the
    caption, on one lower-case line (None without ``caption``)."""
    if own_folder is not None:
        assert folder == own_folder, f"{lesson.name} shows a figure of {folder}, not of {own_folder}"
    source = GALLERY / folder / f"{script}.py"
    assert source.is_file(), f"{lesson.name} shows a figure of {folder}/{script}.py, which does not exist"
    assert draws(script, label), f"{script}.py draws no figure labelled {label!r}"
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
        run = script_help(script)
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


def recipe_presets(script: str, prefix: str = "") -> dict[str, dict]:
    """``{"full": settings, "docs": settings}``: the recipe settings a script's flags
    take in each preset, by the recipe's field names.  A script exposes them with one
    ``recipe_flags(Recipe, name=CONSTANT, ...)`` call: each keyword names a setting and
    its value is a top-of-file constant (or a literal), ``fixed=`` adds the settings
    the script does not expose; ``DOCS_PRESET`` replaces some in
    the docs preset, and ``--seed`` defaults to ``SEED``.  So a test can compare them
    with a recipe kept in ``modules`` without a hand-written table of names."""
    values = constants(script)
    tree = ast.parse(read(script_path(script)))

    def prefix_of(call: ast.Call) -> str:
        return next((ast.literal_eval(k.value) for k in call.keywords if k.arg == "prefix"), "")

    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "recipe_flags" and prefix_of(n) == prefix]
    assert len(calls) == 1, f"{script}.py makes its {prefix or 'recipe'}'s flags in {len(calls)} places, expected one"
    full = {}
    for keyword in calls[0].keywords:
        if keyword.arg in ("helps", "prefix"):
            continue
        value = values[keyword.value.id] if isinstance(keyword.value, ast.Name) else ast.literal_eval(keyword.value)
        if keyword.arg == "fixed":  # settings the script does not expose
            full.update(value)
        else:
            full[keyword.arg] = value
    full["seed"] = values["SEED"]
    flag = lambda name: f"{prefix}_{name}" if prefix else name  # noqa: E731
    docs = {**full, **{k: values["DOCS_PRESET"][flag(k)] for k in full if flag(k) in values["DOCS_PRESET"]}}
    return {"full": full, "docs": docs}


def script_recipes(script: str, recipe_type: type, prefix: str = "") -> dict[str, Any]:
    """``{"full": recipe, "docs": recipe}``: the recipe a script's flags describe in
    each preset (:func:`recipe_presets`; ``prefix`` picks one of two), the recipe's
    defaults for the rest."""
    return {preset: recipe_type(**values) for preset, values in recipe_presets(script, prefix).items()}


# --------------------------------------------------------------------------------------
# What a script records, prints and draws, read from its syntax tree (not its text, so
# its layout, quoting and argument order do not matter)
# --------------------------------------------------------------------------------------
ANY = r"\w+"  # what a name field nothing pins down may be


class ScriptTree:
    """A gallery script's syntax tree, with what the checks below need to resolve the
    names a ``record`` call or a ``label=`` builds: the ``for`` loops around a call,
    the module's literal constants and the calls of its own functions."""

    def __init__(self, source: str):
        self.tree = ast.parse(source)
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        self.literals: dict[str, ast.AST] = {}  # NAME = <literal display> at the top level
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if isinstance(node.value, (ast.Dict, ast.Tuple, ast.List, ast.Set)):
                    self.literals[node.targets[0].id] = node.value

    @classmethod
    def of(cls, script: str) -> "ScriptTree":
        return cls(read(script_path(script)))

    def calls(self, name: str) -> list[ast.Call]:
        """Every call of the function ``name`` (``name(...)`` or ``x.name(...)``)."""
        return [
            node for node in ast.walk(self.tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
        ]

    def ancestors(self, node: ast.AST):
        while node in self.parent:
            node = self.parent[node]
            yield node

    # -- literal values -------------------------------------------------------------
    def display(self, node: ast.AST) -> ast.AST | None:
        """The literal display ``node`` is, or names at the top level."""
        if isinstance(node, ast.Name):
            return self.literals.get(node.id)
        if isinstance(node, ast.Subscript):  # TABLE[x]: any of the table's values
            table = self.display(node.value)
            return ast.Tuple(elts=list(table.values), ctx=ast.Load()) if isinstance(table, ast.Dict) else None
        return node if isinstance(node, (ast.Dict, ast.Tuple, ast.List, ast.Set)) else None

    def strings(self, node: ast.AST) -> list[str] | None:
        """The strings ``node`` may be, when they are all written in the script."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Subscript):
            table = self.display(node)
            if table is not None:
                return self.strings(table)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            found = [self.strings(elt) for elt in node.elts]
            return None if any(f is None for f in found) else [s for f in found for s in f]
        return None

    def loop_values(self, name: str, at: ast.AST) -> list[ast.AST] | None:
        """The expressions a loop variable ``name`` takes at ``at``, when the ``for``
        (or comprehension) that binds it iterates over a literal display: ``for x in
        ("a", "b")``, ``for x, y in (("a", 1), ...)``, ``for x, y in zip(("a", ...), ...)``,
        ``for k, v in TABLE.items()`` (the keys), ``for x in TABLE``."""
        for node in self.ancestors(at):
            loops = [node] if isinstance(node, ast.For) else getattr(node, "generators", [])
            for loop in loops:
                target, iterable = loop.target, loop.iter
                if isinstance(target, ast.Name) and target.id == name:
                    index = None
                elif isinstance(target, ast.Tuple) and any(getattr(t, "id", None) == name for t in target.elts):
                    index = [getattr(t, "id", None) for t in target.elts].index(name)
                else:
                    continue
                return self.iterated(iterable, index)
        return None

    def iterated(self, iterable: ast.AST, index: int | None) -> list[ast.AST] | None:
        if isinstance(iterable, ast.Call) and getattr(iterable.func, "id", None) == "zip" and index is not None:
            return self.iterated(iterable.args[index], None) if index < len(iterable.args) else None
        if isinstance(iterable, ast.Call) and getattr(iterable.func, "attr", None) in ("items", "keys"):
            if iterable.func.attr == "keys" or index == 0:
                table = self.display(iterable.func.value)
                if isinstance(table, ast.Dict):
                    return list(table.keys)
                if isinstance(table, ast.Tuple):  # TABLE[x].items(): TABLE's values are dicts
                    inner = [self.display(v) for v in table.elts]
                    if all(isinstance(d, ast.Dict) for d in inner):
                        return [k for d in inner for k in d.keys]
            return None
        items = self.display(iterable)
        if isinstance(items, ast.Dict):
            items = ast.Tuple(elts=list(items.keys), ctx=ast.Load())
        if not isinstance(items, (ast.Tuple, ast.List, ast.Set)):
            return None
        if index is None:
            return list(items.elts)
        if all(isinstance(e, (ast.Tuple, ast.List)) and len(e.elts) > index for e in items.elts):
            return [e.elts[index] for e in items.elts]
        return None

    def arguments_for(self, name: str, at: ast.AST) -> list[ast.AST] | None:
        """What the script passes for ``name`` when it is a parameter of the function
        around ``at``: the arguments of every call of that function."""
        for node in self.ancestors(at):
            if isinstance(node, ast.FunctionDef):
                params = [a.arg for a in node.args.args]
                if name not in params:
                    return None
                index, found = params.index(name), []
                for call in self.calls(node.name):
                    keyword = [k.value for k in call.keywords if k.arg == name]
                    found += keyword or call.args[index : index + 1]
                return found or None
        return None

    # -- names built from strings ---------------------------------------------------
    def pattern(self, node: ast.AST, field: str = ANY) -> str | None:
        """A regular expression for the strings ``node`` builds: a literal, an f-string
        whose fields are loop variables over literals, parameters given literals or
        lookups in a literal table (others match ``field``), their sums, and
        ``.replace(old, new)`` of them.  None for what is no string built here."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return re.escape(node.value)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(re.escape(str(value.value)))
                else:
                    parts.append(self.value_pattern(value.value, value, field) if value.format_spec is None else field)
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.pattern(node.left, field), self.pattern(node.right, field)
            left = self.value_pattern(node.left, node, field) if left is None else left
            right = self.value_pattern(node.right, node, field) if right is None else right
            return left + right
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "replace" and len(node.args) == 2:
            inner = self.pattern(node.func.value, field)
            old, new = (self.strings(a) for a in node.args)
            if inner is None or not (old and new):
                return inner
            return inner.replace(re.escape(old[0]), re.escape(new[0]))
        if isinstance(node, (ast.Name, ast.Subscript)):
            found = self.value_pattern(node, node, None)
            return found
        return None

    def value_pattern(self, node: ast.AST, at: ast.AST, field: str | None) -> str | None:
        """The strings an expression inside a name may be, as a regular expression."""
        options = None
        if isinstance(node, ast.Name):
            options = self.loop_values(node.id, at) or self.arguments_for(node.id, at)
        elif isinstance(node, (ast.Subscript, ast.Constant, ast.JoinedStr)):
            options = [node]
        if options:
            found = []
            for option in options:
                strings = self.strings(option)
                if strings is not None:
                    found += [re.escape(s) for s in strings]
                else:
                    inner = self.pattern(option, field or ANY) if isinstance(option, (ast.JoinedStr, ast.BinOp)) else None
                    if inner is None:
                        return field
                    found.append(inner)
            return "(?:" + "|".join(found) + ")"
        return field


def recorded_names(script: str) -> list[re.Pattern]:
    """The names ``script`` records (the first argument of each ``record(...)`` call), as
    patterns: loop variables over literals and the script's own tables are expanded,
    other fields of an f-string match a word."""
    tree = ScriptTree.of(script)
    patterns = [tree.pattern(call.args[0]) for call in tree.calls("record") if call.args]
    return [re.compile(p) for p in patterns if p is not None]


def records(script: str, name: str) -> bool:
    """Whether ``script`` records a value called ``name``."""
    return any(p.fullmatch(name) for p in recorded_names(script))


def draws(script: str, label: str) -> bool:
    """Whether ``script`` draws a figure labelled ``label``: a call passes it as
    ``label=`` (a literal, or an f-string over a loop's literal values), or calls a
    plotting function of the course, whose ``label`` defaults to it, without one."""
    tree = ScriptTree.of(script)
    imported = {
        alias.asname or alias.name: node.module
        for node in tree.tree.body if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modules.")
        for alias in node.names
    }
    for call in (n for n in ast.walk(tree.tree) if isinstance(n, ast.Call)):
        given = [k.value for k in call.keywords if k.arg == "label"]
        if given:
            built = tree.pattern(given[0], field="(?!)")  # a field nothing pins down matches nothing
            if built is not None and re.fullmatch(built, label):
                return True
        elif getattr(call.func, "id", None) in imported:
            function = getattr(importlib.import_module(imported[call.func.id]), call.func.id)
            try:
                default = inspect.signature(function).parameters.get("label")
            except (TypeError, ValueError):
                continue
            if default is not None and default.default == label:
                return True
    return False


FIELD, PADDED = 0, 1  # a field filled in at run time: a value, or a value padded to a width


def string_templates(script: str) -> list[list[str | int]]:
    """Each string the script writes (but its docstrings) as pieces: literal text, and
    :data:`FIELD` or :data:`PADDED` (a field with a format spec) for a field filled in
    at run time."""
    tree = ScriptTree.of(script)
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree.tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    inside_fstring = {id(v) for node in ast.walk(tree.tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    templates = []
    for node in ast.walk(tree.tree):
        if isinstance(node, ast.JoinedStr):
            templates.append([
                v.value if isinstance(v, ast.Constant) else PADDED if v.format_spec is not None else FIELD for v in node.values
            ])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings | inside_fstring:
            templates.append([node.value])
    return templates


def _starts(text: str, pieces: list[str | int], matched: int = 0) -> bool:
    """Whether ``text`` is the start of a string made of ``pieces`` (a field stands for
    a value without spaces, a padded one may have spaces around it), with at least one
    literal character matched."""
    if not text:
        return matched > 0
    if not pieces:
        return False
    piece, rest = pieces[0], pieces[1:]
    if piece in (FIELD, PADDED):
        value = r"\s*\S*\s*" if piece == PADDED else r"\S*"
        return any(_starts(text[k:], rest, matched) for k in range(len(text) + 1) if re.fullmatch(value, text[:k]))
    if text.startswith(piece):
        return _starts(text[len(piece):], rest, matched + len(piece))
    return piece.startswith(text) and matched + len(text) > 0


def prints(script: str, marker: str) -> bool:
    """Whether a line the script writes can contain ``marker`` (or its part before a
    run of two spaces): some string of the script, its fields filled in, has it,
    starting in a literal part or at a field."""
    wanted = {marker.strip(), re.split(r"\s{2,}", marker.strip())[0]}
    for pieces in string_templates(script):
        for i, piece in enumerate(pieces):
            starts = [[piece]] if piece in (FIELD, PADDED) else [[piece[k:]] for k in range(len(piece))]
            for start in starts:
                if any(_starts(text, start + pieces[i + 1:]) for text in wanted):
                    return True
    return False


SYMBOLS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
MIRRORED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


def comparisons(script: str) -> set[tuple[str, str, object]]:
    """``(name, operator, value)`` of every comparison of a name (or attribute) with a
    literal in ``script``, the name on the left (``0.9 < x`` is ``("x", ">", 0.9)``)."""
    found = set()
    for node in ast.walk(ScriptTree.of(script).tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1 or type(node.ops[0]) not in SYMBOLS:
            continue
        left, right, op = node.left, node.comparators[0], SYMBOLS[type(node.ops[0])]
        if isinstance(left, ast.Constant):
            left, right, op = right, left, MIRRORED[op]
        if isinstance(right, ast.Constant) and isinstance(left, (ast.Name, ast.Attribute)):
            found.add((ast.unparse(left), op, right.value))
    return found


def literal_calls(script: str, name: str) -> list[tuple]:
    """The positional arguments of every call of ``name`` (``name(...)`` or
    ``x.name(...)``) in ``script``, literal ones as values, others as None."""

    def value(node):
        try:
            return ast.literal_eval(node)
        except ValueError:
            return None

    return [tuple(value(arg) for arg in call.args) for call in ScriptTree.of(script).calls(name)]


def tree_of(code) -> ScriptTree:
    """The syntax tree of a gallery script (by name) or of a module, class or function
    of the course (by object)."""
    if isinstance(code, str):
        return ScriptTree.of(code)
    return ScriptTree(textwrap.dedent(inspect.getsource(code)))


def call_sites(code, name: str) -> list[tuple[tuple[str, ...], dict[str, str]]]:
    """``(arguments, keywords)`` of every call of ``name`` in ``code`` (see
    :func:`tree_of`), each argument as Python source in one canonical layout
    (``ast.unparse``): compare with what you expect, whatever the spacing, quoting and
    keyword order of the script."""
    return [
        (tuple(ast.unparse(a) for a in call.args), {k.arg: ast.unparse(k.value) for k in call.keywords if k.arg})
        for call in tree_of(code).calls(name)
    ]


def calls_with(code, name: str, *args: str, **keywords: str) -> bool:
    """Whether ``code`` calls ``name`` with these positional arguments (leading ones) and
    at least these keywords, each written as Python source (canonical layout)."""
    canonical = lambda text: ast.unparse(ast.parse(text, mode="eval").body)  # noqa: E731
    want_args = tuple(canonical(a) for a in args)
    want_keywords = {k: canonical(v) for k, v in keywords.items()}
    return any(
        found[: len(want_args)] == want_args and want_keywords.items() <= found_keywords.items()
        for found, found_keywords in call_sites(code, name)
    )


def loops(code) -> set[tuple[str, str]]:
    """``(target, iterable)`` of every ``for`` loop and comprehension ``for`` in ``code``,
    as canonical source."""
    return {
        (ast.unparse(n.target), ast.unparse(n.iter))
        for n in ast.walk(tree_of(code).tree) if isinstance(n, (ast.For, ast.comprehension))
    }


def assignments(code) -> dict[str, list[str]]:
    """What each plain name is assigned in ``code``, as canonical source."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree_of(code).tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(ast.unparse(node.value))
    return found


def names_used(code) -> set[str]:
    """Every name and attribute name ``code`` refers to, and every module it imports."""
    names = set()
    for node in ast.walk(tree_of(code).tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def string_constants(code) -> set[str]:
    """Every string literal of ``code`` (and every literal part of its f-strings)."""
    return {n.value for n in ast.walk(tree_of(code).tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def writes_line(code, line: str, values: dict[str, object]) -> bool:
    """Whether an f-string of ``code`` makes ``line`` when each of its fields (Python
    source, canonical layout, e.g. ``"args.lr"``) takes its value in ``values``."""
    for node in ast.walk(tree_of(code).tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = []
        for piece in node.values:
            if isinstance(piece, ast.Constant):
                parts.append(str(piece.value))
                continue
            key = ast.unparse(piece.value)
            if key not in values:
                break
            spec = "".join(str(p.value) for p in piece.format_spec.values) if piece.format_spec else ""
            parts.append(format(values[key], spec))
        else:
            if "".join(parts) == line:
                return True
    return False
