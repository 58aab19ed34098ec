"""The package in layers: a lower layer never imports a higher one.

Every import of the package's own modules is read from the source (module level and
inside functions alike), so a lazy import that reaches upwards fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from course import ROOT

PACKAGE = ROOT / "modules"

#: lowest first; a module may import its own layer and the layers below
LAYERS = ["storage", "data", "networks", "game", "evaluation", "figures", "cli", "experiments"]
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def own_imports(path: Path) -> set[str]:
    """The top-level names of ``modules`` that ``path`` imports (``game`` for ``modules.game.loop``)."""
    parts = path.relative_to(ROOT).with_suffix("").parts  # ("modules", "game", "loop")
    package = parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = package[: len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
                names = [target] if node.module else [[*target, alias.name] for alias in node.names]
            else:
                names = [node.module.split(".")] if node.module else []
            for name in names:
                if name[:1] == ["modules"] and len(name) > 1:
                    found.add(name[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name.split(".")
                if name[0] == "modules" and len(name) > 1:
                    found.add(name[1])
    return found


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


LAYERED = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in RANK)


@pytest.mark.parametrize("path", LAYERED, ids=[str(p.relative_to(PACKAGE)) for p in LAYERED])
def test_no_import_reaches_a_higher_layer(path):
    mine = RANK[layer_of(path)]
    upward = {name for name in own_imports(path) if RANK.get(name, len(LAYERS)) > mine}
    assert not upward, f"modules/{path.relative_to(PACKAGE)} (layer {layer_of(path)}) imports {sorted(upward)} from a higher layer"


def test_the_check_sees_relative_and_lazy_imports(tmp_path, monkeypatch):
    """The reader finds ``from ..recipes import x`` inside a function of the game."""
    source = "def f():\n    from ..recipes import build_gan\n    from . import loop\n    import modules.experiments.toy2d\n"
    path = tmp_path / "modules" / "game" / "probe.py"
    path.parent.mkdir(parents=True)
    path.write_text(source)
    monkeypatch.setattr("test_layers.ROOT", tmp_path)
    assert own_imports(path) == {"recipes", "game", "experiments"}


def test_every_module_belongs_to_a_layer():
    """Nothing sits beside the layers: each file of ``modules/`` is in one of them
    (the package's own ``__init__.py`` aside), and each layer exists."""
    outside = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py" and layer_of(p) not in RANK]
    assert not outside, f"modules outside every layer: {outside}"
    names = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert set(RANK) <= names, sorted(set(RANK) - names)


def test_every_package_is_installed():
    """``pip install .`` ships every package of ``modules/`` (pyproject lists them by name)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found == listed, f"pyproject.toml packages {sorted(listed)}, the tree has {sorted(found)}"
