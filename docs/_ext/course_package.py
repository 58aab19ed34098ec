"""The course package travels with the site: what a student needs to run a download.

Every lesson script imports the course package ``modules``.  So that a script or a
notebook downloaded from the site runs outside a clone of the repository, the build

* writes a wheel of the package to ``packages/<wheel>`` on the site (:func:`build_wheel`:
  the files of ``modules/`` and the dependencies of ``pyproject.toml``, made here with
  the standard library, offline, the same bytes for the same sources);
* puts a box on every lesson page and every example page with the one-line install
  (``pip install <site>/packages/<wheel>``), a link to the wheel and to the lesson's zip
  and, when the repository is configured, launch links (Colab, Binder);
* writes one zip per lesson, ``downloads/<lesson>.zip``: the lesson's scripts, their
  notebooks, the wheel and a README with the commands; and adds the wheel to the zip
  that sphinx-gallery offers on each example page;
* makes a notebook's first cell install the package when ``modules`` cannot be
  imported: from a wheel beside the notebook (as the lesson's zip has it), else from
  the site's address (:func:`first_notebook_cell`).

The site's address is set in one place, the environment variable
``GAN_COURSE_SITE_URL`` (the Pages workflow sets it; on Read the Docs its
``READTHEDOCS_CANONICAL_URL`` serves): with it the install lines name a full URL,
without it (a local build) they name the wheel file a student downloads.
``GAN_COURSE_REPOSITORY`` (``owner/name`` on GitHub) switches the launch links on: they
open ``notebooks/<lesson>/<script>.ipynb`` of the branch the built site is published
from (``GAN_COURSE_NOTEBOOKS_BRANCH``, default ``gh-pages``); the build writes the
notebooks there.  Without it there are no launch links.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import re
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES_DIR = "packages"  # on the site: the wheel
DOWNLOADS_DIR = "downloads"  # on the site: one zip per lesson
NOTEBOOKS_DIR = "notebooks"  # on the site: the notebooks the launch links open
LESSON = re.compile(r"^docs/(12_1_\d+_\w+)$")
EXAMPLE = re.compile(r"^auto_examples/(12_1_\d+_\w+)/(\w+)$")
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # every file in a zip gets this time: same sources, same bytes
CPU_TORCH = "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu"


# --------------------------------------------------------------------------------------
# Configuration: the site's address and the repository, each from one variable
# --------------------------------------------------------------------------------------
def site_url() -> str:
    """The published site's address with a trailing ``/``, or ``""`` for a local build."""
    url = os.environ.get("GAN_COURSE_SITE_URL") or os.environ.get("READTHEDOCS_CANONICAL_URL") or ""
    return url.rstrip("/") + "/" if url else ""


def repository() -> str:
    """``owner/name`` of the GitHub repository, or ``""`` (no launch links)."""
    value = os.environ.get("GAN_COURSE_REPOSITORY", "").strip().strip("/")
    value = re.sub(r"^(https?://)?github\.com/", "", value)
    return value if re.fullmatch(r"[\w.-]+/[\w.-]+", value) else ""


@functools.cache
def project() -> dict:
    """``pyproject.toml``'s ``[project]`` table, read once per build."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def wheel_name() -> str:
    """``gan_course-<version>-py3-none-any.whl``: the file name pip expects."""
    meta = project()
    return f"{re.sub(r'[-_.]+', '_', meta['name'])}-{meta['version']}-py3-none-any.whl"


def install_command(url: str | None = None) -> str:
    """The one line that installs the course package: from the site when its address
    is known, else from the downloaded wheel."""
    url = site_url() if url is None else url
    return f"pip install {url}{PACKAGES_DIR}/{wheel_name()}" if url else f"pip install {wheel_name()}"


def first_notebook_cell(url: str | None = None) -> str:
    """The first cell of every notebook the site offers: install the course package
    when ``modules`` cannot be imported, from a wheel next to the notebook (the
    lesson's zip has one) or else from the site; then how to pick the quick preset."""
    url = site_url() if url is None else url
    wheel = wheel_name()
    source = repr(f"{url}{PACKAGES_DIR}/{wheel}") if url else "None"
    return (
        "# This notebook comes from the GAN course.  Its code imports the course package\n"
        "# `modules`: this cell installs it when it is missing, from the wheel next to the\n"
        "# notebook (the lesson's zip holds one) or else from the course site.\n"
        "import importlib.util, pathlib, subprocess, sys\n"
        "if importlib.util.find_spec('modules') is None:\n"
        f"    wheels = sorted(pathlib.Path().glob('{wheel.split('-')[0]}-*.whl'))\n"
        f"    source = str(wheels[-1]) if wheels else {source}\n"
        "    if source is None:\n"
        f"        raise SystemExit('Download {wheel} from the course site (any lesson page links it) into this folder, then run this cell again.')\n"
        "    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet', source])\n"
        "# It runs the full preset; for the quick one the site was built with, run first:\n"
        "# %env GAN_COURSE_PRESET=docs"
    )


# --------------------------------------------------------------------------------------
# The wheel
# --------------------------------------------------------------------------------------
def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _metadata(meta: dict) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {meta['name']}",
        f"Version: {meta['version']}",
        f"Summary: {meta.get('description', '')}",
        f"Requires-Python: {meta.get('requires-python', '>=3.10')}",
        f"License: {meta.get('license', {}).get('text', '')}",
    ]
    lines += [f"Requires-Dist: {dep}" for dep in meta.get("dependencies", [])]
    for extra, deps in meta.get("optional-dependencies", {}).items():
        if any(dep.startswith(meta["name"]) for dep in deps):  # dev = the others together
            continue
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {dep}; extra == "{extra}"' for dep in deps]
    return "\n".join(lines) + "\n"


def _zip_file(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def wheel_bytes(root: Path = ROOT) -> bytes:
    """A wheel of the course package: every ``.py`` file of ``modules/`` and the
    metadata ``pip`` needs (name, version, Python, dependencies), with a correct
    ``RECORD``; the same sources give the same bytes."""
    meta = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    dist_info = f"{re.sub(r'[-_.]+', '_', meta['name'])}-{meta['version']}.dist-info"
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted((root / "modules").rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    files[f"{dist_info}/METADATA"] = _metadata(meta).encode()
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: course_package (the GAN course's site build)\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist_info}/top_level.txt"] = b"modules\n"
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            _zip_file(archive, name, data)
    return buffer.getvalue()


def build_wheel(folder: Path, root: Path = ROOT) -> Path:
    """Write the wheel (:func:`wheel_bytes`) into ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / wheel_name()
    path.write_bytes(wheel_bytes(root))
    return path


# --------------------------------------------------------------------------------------
# The box on every lesson and example page
# --------------------------------------------------------------------------------------
def lesson_of(docname: str) -> tuple[str, str | None] | None:
    """``(lesson folder, script stem or None)`` of a lesson or example page, else None."""
    if m := LESSON.match(docname):
        return m.group(1), None
    if (m := EXAMPLE.match(docname)) and (ROOT / "gallery" / m.group(1) / f"{m.group(2)}.py").is_file():
        return m.group(1), m.group(2)
    return None


def launch_links(lesson: str, stem: str) -> dict[str, str]:
    """``{"Colab": url, "Binder": url}`` for a script's notebook, or ``{}`` when no
    repository is configured."""
    repo = repository()
    if not repo:
        return {}
    branch = os.environ.get("GAN_COURSE_NOTEBOOKS_BRANCH", "gh-pages")
    path = f"{NOTEBOOKS_DIR}/{lesson}/{stem}.ipynb"
    return {
        "Colab": f"https://colab.research.google.com/github/{repo}/blob/{quote(branch)}/{path}",
        "Binder": f"https://mybinder.org/v2/gh/{repo}/{quote(branch)}?labpath={quote(path, safe='')}",
    }


def _link(text: str, uri: str) -> nodes.reference:
    return nodes.reference("", text, refuri=uri, internal=False)


def add_run_box(app, doctree, docname: str) -> None:
    """After the page's title of every lesson and example page (and the Setup page):
    how to run the scripts on one's own machine."""
    found = lesson_of(docname) or ((None, None) if docname == "docs/setup" else None)
    if found is None or app.builder.format != "html":
        return
    lesson, stem = found
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    here = app.builder.get_target_uri(docname)
    wheel_uri = relative_uri(here, f"{PACKAGES_DIR}/{wheel_name()}")
    box = nodes.container(classes=["course-run-box"])
    intro = nodes.paragraph()
    intro += nodes.strong(text="Run it on your machine. ")
    intro += nodes.Text("The scripts import the course package ")
    intro += nodes.literal(text="modules")
    intro += nodes.Text("; install it with one line" if site_url() else "; download it (the first link below), then install it with one line:")
    intro += nodes.Text(":" if site_url() else "")
    box += intro
    command = install_command()
    box += nodes.literal_block(command, command, language="bash")
    links = nodes.paragraph()
    links += _link(f"Download the course package ({wheel_name()})", wheel_uri)
    if lesson is not None:
        links += nodes.Text(" · ")
        links += _link(f"Download lesson {lesson_title(lesson)}: scripts, notebooks and the package ({lesson}.zip)", relative_uri(here, f"{DOWNLOADS_DIR}/{lesson}.zip"))
    for name, url in (launch_links(lesson, stem).items() if stem else ()):
        links += nodes.Text(" · ")
        links += _link(f"Open {stem} in {name}", url)
    box += links
    cpu = nodes.paragraph()
    cpu += nodes.Text("Without an NVIDIA GPU, install PyTorch's CPU build first (a tenth of the size): ")
    cpu += nodes.literal(text=CPU_TORCH)
    box += cpu
    # after the title, and after the lesson's Duration and Level when they follow it
    at = next((i for i, child in enumerate(section.children) if isinstance(child, nodes.title)), -1) + 1
    if at < len(section.children) and isinstance(section.children[at], nodes.field_list):
        at += 1
    section.insert(at, box)


def lesson_title(lesson: str) -> str:
    """``12.1.2`` for ``12_1_2_dcgan``."""
    return ".".join(lesson.split("_")[:3])


# --------------------------------------------------------------------------------------
# The zips and the notebooks, after the build
# --------------------------------------------------------------------------------------
def _readme(lesson: str, scripts: list[str]) -> str:
    first = scripts[0] if scripts else "<script>.py"
    return (
        f"Lesson {lesson_title(lesson)} of the GAN course: its scripts, their notebooks and the course package.\n\n"
        "1. Install the course package (it brings PyTorch and the rest; on a machine without an\n"
        f"   NVIDIA GPU, first `{CPU_TORCH}`):\n\n"
        f"       pip install {wheel_name()}\n\n"
        "2. Run a script: the quick preset the site shows, or the full one (the default):\n\n"
        f"       python {first} --preset docs\n"
        f"       python {first} --help\n"
        f"       python {first} --save-figures figures   # no display: the figures as PNG files\n\n"
        "3. Or open a notebook: its first cell installs the package from the wheel in this folder.\n"
    )


def lesson_zip(lesson: str, wheel: bytes, notebooks: Path) -> bytes:
    """The lesson's zip: ``<lesson>/`` holding its scripts, their notebooks (from
    ``notebooks``, where sphinx-gallery wrote them), the wheel and a README."""
    scripts = sorted((ROOT / "gallery" / lesson).glob("*.py"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for script in scripts:
            _zip_file(archive, f"{lesson}/{script.name}", script.read_bytes())
            notebook = notebooks / lesson / f"{script.stem}.ipynb"
            if notebook.is_file():
                _zip_file(archive, f"{lesson}/{notebook.name}", notebook.read_bytes())
        _zip_file(archive, f"{lesson}/{wheel_name()}", wheel)
        _zip_file(archive, f"{lesson}/README.txt", _readme(lesson, [s.name for s in scripts]).encode())
    return buffer.getvalue()


def _add_wheel(path: Path, wheel: bytes) -> None:
    """Add the wheel to a zip sphinx-gallery wrote for one example (once)."""
    with zipfile.ZipFile(path) as archive:
        if wheel_name() in archive.namelist():
            return
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
        _zip_file(archive, wheel_name(), wheel)


def write_downloads(app, exception) -> None:
    """After a successful HTML build: the wheel, the lessons' zips, the wheel inside
    each example's zip, and the notebooks the launch links open."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    wheel = build_wheel(out / PACKAGES_DIR).read_bytes()
    gallery_out = ROOT / "auto_examples"
    lessons = sorted(p.name for p in (ROOT / "gallery").glob("12_1_*") if p.is_dir())
    (out / DOWNLOADS_DIR).mkdir(exist_ok=True)
    for lesson in lessons:
        (out / DOWNLOADS_DIR / f"{lesson}.zip").write_bytes(lesson_zip(lesson, wheel, gallery_out))
    stems = {p.stem for p in (ROOT / "gallery").glob("12_1_*/*.py")}
    for path in (out / "_downloads").glob("*/*.zip"):
        if path.stem in stems:
            _add_wheel(path, wheel)
    if repository():
        for notebook in gallery_out.glob("12_1_*/*.ipynb"):
            target = out / NOTEBOOKS_DIR / notebook.parent.name / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(notebook.read_bytes())
    logger.info(f"course package: {PACKAGES_DIR}/{wheel_name()} ({len(wheel) // 1024} KB) and {len(lessons)} lesson zips in {DOWNLOADS_DIR}/")


def setup(app):
    app.connect("doctree-resolved", add_run_box)
    app.connect("build-finished", write_downloads)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
