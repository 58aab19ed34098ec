"""The API reference of the package ``modules`` (docs/api.rst).

autosummary writes one page per module into docs/_generated/api/ (ignored by git) with
the template docs/_templates/autosummary/course_module.rst: every name of the module's
``__all__`` gets an autodoc entry followed by sphinx-gallery's mini-gallery of the
scripts that use it (the backreferences, docs/_generated/backreferences/).  Each lesson
lists the API entries it introduces in a ``seealso`` box of its summary.

The first tests read the sources only.  The others read the site that the session
builds once (fixture ``site``, ``make html``): the backreferences need the executed
build, because sphinx-gallery finds an object that a script reaches through another
one (``trainer.ema_generator``, a DCGANGenerator) only in the script's variables after
it ran; a build without execution (``make html-noplot``) sees only what the scripts
import and the objects their text names.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

import modules
from course import ROOT

WALK = [(m.name.removeprefix("modules."), m.ispkg) for m in pkgutil.walk_packages(modules.__path__, prefix="modules.")]
MODULES = sorted(name for name, _ in WALK)  # "data", "game", "game.loop", ...
PACKAGES = {name for name, ispkg in WALK if ispkg}  # they may re-export nothing
LESSONS = sorted((ROOT / "docs").glob("12_1_*.rst"))
GALLERY = sorted((ROOT / "gallery").glob("*/*.py"))
API_DIR = "docs/_generated/api"  # where autosummary writes the module pages (docs/api.rst)
SEEALSO = "API introduced in this lesson"
ROLE = re.compile(r":(?:class|func|meth|data|mod):`~?([\w.]+)`")

by_module = pytest.mark.parametrize("name", MODULES)
by_lesson = pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])


def public_names(module_name: str) -> list[str]:
    module = importlib.import_module(f"modules.{module_name}")
    assert hasattr(module, "__all__"), f"modules.{module_name} has no __all__: the API page lists its names"
    return list(module.__all__)


def api_page(html: Path, module_name: str) -> Path:
    return html / API_DIR / f"modules.{module_name}.html"


def seealso_block(lesson: Path) -> str:
    """The reST of the lesson's "API introduced in this lesson" box (in its summary)."""
    text = lesson.read_text(encoding="utf-8")
    summary = text[text.index("\nSummary\n=======\n") :]
    lines = summary[summary.index(".. seealso::") :].splitlines()
    end = next(i for i, line in enumerate(lines[1:], 1) if line and not line.startswith(" "))
    block = "\n".join(lines[:end])
    assert SEEALSO in block, f"{lesson.name}: the summary's first seealso is not the API box"
    return block


def html_seealso(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    start = html.index('class="admonition seealso"')
    assert SEEALSO in html[start : start + 2000]
    return html[start : html.index("</div>", start)]


def target_exists(page: Path, href: str) -> bool:
    """``href`` (relative to ``page``) names a built file and, if it has one, an anchor in it."""
    path, _, anchor = unquote(href).partition("#")
    target = (page.parent / path).resolve() if path else page
    if not target.is_file():
        return False
    return not anchor or f'id="{anchor}"' in target.read_text(encoding="utf-8")


def importers(module_name: str, name: str) -> set[str]:
    """The gallery scripts that import ``name`` from ``modules.<module_name>``."""
    found = set()
    for script in GALLERY:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == f"modules.{module_name}":
                if any(alias.name == name for alias in node.names):
                    found.add(script.stem)
    return found


def minigallery(html: Path, module_name: str, name: str) -> dict[str, str]:
    """script name -> href of the thumbnails below the API entry of ``name``."""
    page = api_page(html, module_name)
    text = page.read_text(encoding="utf-8")
    start = text.index(f'id="modules.{module_name}.{name}"')
    end = text.find("<h2", start)  # the next object's section
    section = text[start : end if end >= 0 else len(text)]
    if "sphx-glr-thumbcontainer" not in section:
        return {}
    assert re.search(r"<h3>Scripts that use", section), f"{name}: thumbnails without their heading"
    hrefs = re.findall(r'<div class="sphx-glr-thumbcontainer".*?<a class="reference internal" href="([^"]+)"', section, re.S)
    return {Path(h.partition("#")[0]).stem: h for h in hrefs}


# -- the sources ----------------------------------------------------------------------------

@by_module
def test_every_module_has_an_api_page_in_the_reference(name):
    """docs/api.rst lists every module of the package (a new module must be added there),
    and each module says what is public (``__all__``)."""
    api = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    assert re.search(rf"^   modules\.{re.escape(name)}$", api, re.M), f"docs/api.rst does not list modules.{name}"
    assert name in PACKAGES or public_names(name), f"modules.{name} has an empty __all__"


@by_lesson
def test_lesson_names_existing_api_entries(lesson):
    """Every name in a lesson's API box is a public name of its module (or a method of one)."""
    names = ROLE.findall(seealso_block(lesson))
    assert names, f"{lesson.name} lists no API entry"
    for full in names:
        parts = full.split(".")
        assert parts[0] == "modules", full
        # the longest prefix that is a module of the package, e.g. modules.game.loop
        k = max((k for k in range(2, len(parts) + 1) if ".".join(parts[1:k]) in MODULES), default=None)
        assert k is not None, f"{full} names no module of the package"
        module_name, rest = ".".join(parts[1:k]), parts[k:]
        if rest:
            assert rest[0] in public_names(module_name), f"{full} is not in modules.{module_name}.__all__"
            obj = importlib.import_module(f"modules.{module_name}")
            for part in rest:
                obj = getattr(obj, part)
            if len(rest) > 1:
                assert obj.__doc__, f"{full} has no docstring, so no API entry"


def test_generated_files_are_ignored_by_git():
    for path in ("docs/_generated/api/modules.networks.dcgan.rst", "docs/_generated/backreferences/modules.networks.dcgan.DCGANGenerator.examples"):
        proc = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert proc.returncode == 0, f"{path} would not be ignored by git"


# -- the built site -------------------------------------------------------------------------

@pytest.mark.slow
@by_module
def test_api_page_documents_every_public_name(site, name):
    page = api_page(site.html, name)
    assert page.is_file(), f"no API page for modules.{name}"
    text = page.read_text(encoding="utf-8")
    for public in public_names(name):
        assert f'id="modules.{name}.{public}"' in text, f"modules.{name}.{public} is not documented"
    index = (site.html / "docs" / "api.html").read_text(encoding="utf-8")
    assert f'href="_generated/api/modules.{name}.html"' in index, f"api.html does not link to modules.{name}"


KNOWN = [
    # (module, name, scripts that must be among its backreferences, or one of them that must)
    ("game.loop", "GANTrainer", {"gan_architecture", "gan_patterns"}, all),
    # no script imports it: sphinx-gallery finds it in the executed scripts' variables
    # (trainer.ema_generator), so one of the scripts that use a trained DCGAN will do
    ("networks.dcgan", "DCGANGenerator", {"dcgan_train", "dcgan_latent", "conditional_gan"}, any),
    ("game.objective", "named_objective", {"gan_losses"}, all),
    ("game.terms", "GradientPenalty", {"wgan_gp"}, all),  # named in the script's text
    ("cli", "parse_script_args", importers("cli", "parse_script_args"), all),
    ("experiments.toy2d", "ToyRecipe", importers("experiments.toy2d", "ToyRecipe"), all),
]


@pytest.mark.slow
@pytest.mark.parametrize("module_name, name, scripts, how", KNOWN, ids=[f"{m}.{n}" for m, n, _, _ in KNOWN])
def test_api_entry_shows_the_scripts_that_use_it(site, module_name, name, scripts, how):
    assert scripts, f"no gallery script uses modules.{module_name}.{name}: pick another object"
    page = api_page(site.html, module_name)
    shown = minigallery(site.html, module_name, name)
    assert how(script in shown for script in scripts), f"modules.{module_name}.{name}: thumbnails of {sorted(shown)}, expected {how.__name__} of {sorted(scripts)}"
    for script, href in shown.items():
        assert "auto_examples/" in href and target_exists(page, href), f"{name}: broken link {href}"
    # the thumbnails are the scripts' own figures, copied into the site
    for src in re.findall(r'<img[^>]*src="([^"]*sphx_glr_[^"]*_thumb\.png)"', page.read_text(encoding="utf-8")):
        assert target_exists(page, src), src


@pytest.mark.slow
def test_objects_no_script_uses_show_no_empty_gallery(site):
    """An object that no script uses has neither thumbnails nor a "Scripts that use" heading."""
    text = api_page(site.html, "storage.checkpoints").read_text(encoding="utf-8")
    section = text[text.index('id="modules.storage.checkpoints.source_fingerprint"') :]
    section = section[: section.find("<h2") if "<h2" in section else len(section)]
    assert "Scripts that use" not in section and "sphx-glr-thumbcontainer" not in section


@pytest.mark.slow
@by_lesson
def test_lesson_links_to_its_api_entries(site, lesson):
    """The lesson's API box links every name it lists to its entry in the API pages."""
    page = site.html / "docs" / f"{lesson.stem}.html"
    box = html_seealso(page)
    listed = ROLE.findall(seealso_block(lesson))
    links = re.findall(r'<a class="reference internal" href="([^"]+)"[^>]*><code class="xref py', box)
    assert len(links) == len(listed) == box.count('<code class="xref py'), "a name in the API box is not a link"
    assert any("_generated/api/modules." in h and "#modules." in h for h in links), "no link to an API entry"
    for href in links:
        assert "_generated/api/modules." in href, href
        assert target_exists(page, href), f"{lesson.stem}: {href} leads nowhere"


@pytest.mark.slow
def test_script_code_links_to_the_api(site):
    """sphinx-gallery links the names in an example's code to their API entries."""
    page = site.html / "auto_examples" / "12_1_1_gan_architecture" / "gan_architecture.html"
    hrefs = re.findall(r'href="([^"]*_generated/api/modules\.game\.loop\.html#modules\.game\.loop\.GANTrainer)"', page.read_text(encoding="utf-8"))
    assert hrefs and all(target_exists(page, h) for h in hrefs)


@pytest.mark.slow
def test_generated_pages_stay_out_of_git(site):
    assert (ROOT / API_DIR / "modules.networks.dcgan.rst").is_file()
    assert (ROOT / "docs" / "_generated" / "backreferences" / "modules.networks.dcgan.DCGANGenerator.examples").is_file()
    # what the API reference generates never shows in git status (test_site.py checks
    # that the whole build leaves git status as it found it)
    generated = [line for line in site.git_after.splitlines() if "_generated" in line]
    assert not generated, generated
