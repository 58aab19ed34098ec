"""What recipe a lesson script trains, read from the script itself.

A script exposes a recipe's settings with ``recipe_flags(Recipe, name=CONSTANT, ...)``:
each keyword names a setting of the recipe and its value is the script's top-of-file
constant (the full preset); ``DOCS_PRESET`` replaces some in the docs preset and
``--seed`` defaults to ``SEED``.  :func:`recipe_presets` reads all three from the
script's syntax tree, so a test can compare them with a recipe kept in ``modules``
(``DCGAN_PRESETS``, say) without a hand-written table of names.
"""

from __future__ import annotations

import ast
from typing import Any

from course import script_path


def _constants(tree: ast.Module) -> dict[str, Any]:
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return values


def recipe_presets(script: str) -> dict[str, dict[str, Any]]:
    """``{"full": settings, "docs": settings}``: the recipe settings the script's flags
    take in each preset, by the recipe's field names."""
    tree = ast.parse(script_path(script).read_text(encoding="utf-8"))
    constants = _constants(tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "recipe_flags"]
    assert len(calls) == 1, f"{script}.py makes its recipe's flags in {len(calls)} places, expected one"
    full = {}
    for keyword in calls[0].keywords:
        if keyword.arg == "helps":
            continue
        value = keyword.value
        full[keyword.arg] = constants[value.id] if isinstance(value, ast.Name) else ast.literal_eval(value)
    full["seed"] = constants["SEED"]
    docs = {**full, **{k: v for k, v in constants["DOCS_PRESET"].items() if k in full}}
    return {"full": full, "docs": docs}

