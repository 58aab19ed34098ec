"""What a student downloads from the site runs outside a clone of the repository.

The build puts a wheel of the course package on the site, a one-line install on every
lesson and example page, the wheel into every lesson's zip and example zip, and a first
cell into every notebook that installs the package when ``modules`` is missing
(``docs/_ext/course_package.py``).  The served-site test does what a student does:
it serves the built site on 127.0.0.1, makes a fresh virtual environment that has
PyTorch and the other dependencies but not the course package, installs the package
from the served site, and runs a downloaded script and a downloaded notebook in a
folder outside the repository, with the network switched off.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from course import MODEL_CACHE, ROOT, blocked_requests, no_network_env

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import course_package  # noqa: E402

LESSONS = sorted(p.name for p in (ROOT / "gallery").glob("12_1_*") if p.is_dir())
EXAMPLES = sorted(f"{p.parent.name}/{p.stem}" for p in (ROOT / "gallery").glob("12_1_*/*.py"))
SCRIPT, LESSON = "gan_architecture", "12_1_1_gan_architecture"  # the first script a student meets


# -- the wheel ----------------------------------------------------------------------------
def test_the_wheel_holds_every_module_with_a_correct_record():
    data = course_package.wheel_bytes()
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "modules").rglob("*.py") if "__pycache__" not in p.parts}
    assert sources and sources <= names
    dist = "gan_course-0.1.0.dist-info"
    meta = archive.read(f"{dist}/METADATA").decode()
    assert "Name: gan-course" in meta and "Requires-Dist: torch" in meta and "Requires-Python: >=3.10" in meta
    assert "Tag: py3-none-any" in archive.read(f"{dist}/WHEEL").decode()
    # every file's hash and size in RECORD is what the file holds (pip checks them)
    for line in archive.read(f"{dist}/RECORD").decode().splitlines():
        name, digest, size = line.rsplit(",", 2)
        if name.endswith("RECORD"):
            continue
        content = archive.read(name)
        assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        assert int(size) == len(content)
    assert course_package.wheel_bytes() == data, "the same sources give the same wheel"
    assert course_package.wheel_name() == "gan_course-0.1.0-py3-none-any.whl"


def test_install_lines_and_launch_links_follow_the_configuration(monkeypatch):
    for key in ("GAN_COURSE_SITE_URL", "READTHEDOCS_CANONICAL_URL", "GAN_COURSE_REPOSITORY"):
        monkeypatch.delenv(key, raising=False)
    wheel = course_package.wheel_name()
    assert course_package.install_command() == f"pip install {wheel}"  # a local build: the downloaded file
    assert "source = str(wheels[-1]) if wheels else None" in course_package.first_notebook_cell()
    assert course_package.launch_links(LESSON, SCRIPT) == {}  # no repository, no launch links

    monkeypatch.setenv("GAN_COURSE_SITE_URL", "https://example.org/gan")
    assert course_package.install_command() == f"pip install https://example.org/gan/packages/{wheel}"
    assert f"'https://example.org/gan/packages/{wheel}'" in course_package.first_notebook_cell()

    monkeypatch.setenv("GAN_COURSE_REPOSITORY", "https://github.com/someone/gan-course")
    links = course_package.launch_links(LESSON, SCRIPT)
    assert links["Colab"] == f"https://colab.research.google.com/github/someone/gan-course/blob/gh-pages/notebooks/{LESSON}/{SCRIPT}.ipynb"
    assert links["Binder"].startswith("https://mybinder.org/v2/gh/someone/gan-course/gh-pages?labpath=notebooks")
    monkeypatch.setenv("GAN_COURSE_REPOSITORY", "not a repository")
    assert course_package.launch_links(LESSON, SCRIPT) == {}


def test_a_notebook_first_cell_refuses_with_one_line_when_it_has_no_source(tmp_path, monkeypatch):
    """No site address and no wheel beside the notebook: the cell says what to download."""
    monkeypatch.delenv("GAN_COURSE_SITE_URL", raising=False)
    monkeypatch.delenv("READTHEDOCS_CANONICAL_URL", raising=False)
    cell = course_package.first_notebook_cell().replace("find_spec('modules')", "find_spec('no_such_module_here')")
    proc = subprocess.run([sys.executable, "-c", cell], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip() == (
        f"Download {course_package.wheel_name()} from the course site (any lesson page links it) into this folder, then run this cell again."
    )


# -- the built site offers it ---------------------------------------------------------------
@pytest.mark.slow
def test_every_lesson_and_example_page_links_the_package_with_a_one_line_install(site):
    wheel = course_package.wheel_name()
    assert (site.html / "packages" / wheel).read_bytes() == course_package.wheel_bytes()
    pages = [site.html / "docs" / f"{lesson}.html" for lesson in LESSONS]
    pages += [site.html / "auto_examples" / f"{example}.html" for example in EXAMPLES]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "course-run-box" in html, f"{page.name}: no install box"
        assert re.search(rf'href="(\.\./)+packages/{re.escape(wheel)}"', html), f"{page.name}: no link to the wheel"
        assert f"pip install {wheel}" in re.sub(r"<[^>]+>", "", html), f"{page.name}: no one-line install"
        assert "colab.research.google.com" not in html, "no launch links without a configured repository"


@pytest.mark.slow
def test_every_download_zip_holds_what_its_scripts_need(site):
    wheel = course_package.wheel_name()
    for lesson in LESSONS:
        names = set(zipfile.ZipFile(site.html / "downloads" / f"{lesson}.zip").namelist())
        scripts = sorted((ROOT / "gallery" / lesson).glob("*.py"))
        for script in scripts:
            assert {f"{lesson}/{script.name}", f"{lesson}/{script.stem}.ipynb"} <= names, lesson
        assert {f"{lesson}/{wheel}", f"{lesson}/README.txt"} <= names, lesson
    stems = {example.split("/")[1] for example in EXAMPLES}
    example_zips = [p for p in site.html.glob("_downloads/*/*.zip") if p.stem in stems]
    assert len(example_zips) == len(EXAMPLES), "sphinx-gallery offers a zip on every example page"
    for path in example_zips:
        assert wheel in zipfile.ZipFile(path).namelist(), f"{path.name} lacks the course package"


# -- a student's machine: a fresh environment with PyTorch but not the course package ------
def fresh_environment(where: Path) -> Path:
    """A new virtual environment whose Python sees this environment's packages (PyTorch,
    matplotlib, ipykernel, pip, ...) but not the course package: a folder of links to
    everything in this environment's site-packages except ``gan_course`` and its
    editable-install hooks, on the new environment's path.  Returns its Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    shared = where / "shared-site-packages"
    shared.mkdir()
    own = Path(sysconfig.get_paths()["purelib"])
    for entry in own.iterdir():
        if entry.name.startswith(("gan_course", "__editable__", "modules")) or entry.suffix == ".pth":
            continue
        (shared / entry.name).symlink_to(entry)
    python = where / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "shared.pth").write_text(f"{shared}\n", encoding="utf-8")
    return python


def student_env(netlog: Path, cache: Path) -> dict[str, str]:
    """No network, no path into the repository, pip offline, figures to files."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(no_network_env(netlog))
    env["PYTHONPATH"] = str(ROOT / "tests" / "netguard")  # the guard only: not the repository
    env.update({"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "MPLBACKEND": "Agg", "GAN_COURSE_CACHE": str(cache)})
    return env


def download(url: str, target: Path) -> Path:
    with urllib.request.urlopen(url, timeout=60) as response:
        target.write_bytes(response.read())
    return target


def module_origin(python: Path, env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run([python, "-c", "import modules; print(modules.__file__)"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return proc.stdout.strip() if proc.returncode == 0 else ""


@pytest.mark.slow
def test_a_student_installs_the_package_from_the_served_site_and_runs_a_download(site, served, tmp_path):
    netlog = tmp_path / "network.log"
    env = student_env(netlog, tmp_path / "model-cache")
    python = fresh_environment(tmp_path / "venv")
    folder = tmp_path / "my-gan-lesson"  # outside the repository
    folder.mkdir()
    assert module_origin(python, env, folder) == "", "the fresh environment must not have the course package yet"

    # the one-line install the page shows, with the served site's address
    page = urllib.request.urlopen(f"{served}auto_examples/{LESSON}/{SCRIPT}.html", timeout=60).read().decode()
    href = re.search(r'href="([^"]*packages/[^"]+\.whl)"', page).group(1)
    wheel_url = urllib.parse.urljoin(f"{served}auto_examples/{LESSON}/{SCRIPT}.html", href)
    proc = subprocess.run([python, "-m", "pip", "install", "--quiet", wheel_url], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    origin = module_origin(python, env, folder)
    assert origin.startswith(str(tmp_path / "venv")), f"modules comes from {origin!r}, not the fresh environment"

    # the script the example page offers, downloaded and run in the docs preset
    script_href = re.search(rf'href="([^"]*_downloads/[^"]+/{SCRIPT}\.py)"', page).group(1)
    script = download(urllib.parse.urljoin(f"{served}auto_examples/{LESSON}/", script_href), folder / f"{SCRIPT}.py")
    proc = subprocess.run([python, script.name, "--preset", "docs", "--save-figures", "figures"], cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in (folder / "figures").glob("*.png")), "the run wrote its figures"
    assert not blocked_requests(netlog)


@pytest.mark.slow
def test_a_downloaded_notebook_installs_the_package_itself_and_runs(site, served, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    netlog = tmp_path / "network.log"
    env = student_env(netlog, MODEL_CACHE)  # the session's model cache: the run itself is tested above
    python = fresh_environment(tmp_path / "venv")
    folder = tmp_path / "unzipped"
    archive = download(f"{served}downloads/{LESSON}.zip", tmp_path / f"{LESSON}.zip")
    zipfile.ZipFile(archive).extractall(folder)
    folder = folder / LESSON
    assert module_origin(python, env, folder) == ""

    # a kernel running the fresh environment's Python
    kernels = tmp_path / "jupyter" / "kernels" / "student"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student", "language": "python",
    }), encoding="utf-8")
    for key, value in {**env, "JUPYTER_PATH": str(tmp_path / "jupyter"), "GAN_COURSE_PRESET": "docs",
                       "MPLBACKEND": "module://matplotlib_inline.backend_inline"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(folder)

    nb = nbformat.read(folder / f"{SCRIPT}.ipynb", as_version=4)
    assert "find_spec('modules')" in nb.cells[0].source
    NotebookClient(nb, kernel_name="student", timeout=900, resources={"metadata": {"path": str(folder)}}).execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    assert module_origin(python, env, folder).startswith(str(tmp_path / "venv")), "the first cell installed the package"
    assert [out for out in outputs if out.output_type == "display_data" and "image/png" in out.get("data", {})]
    assert not blocked_requests(netlog)
