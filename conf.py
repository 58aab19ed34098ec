"""Sphinx configuration of the GAN course.

The repository root is the source directory.  sphinx-gallery executes every script in
``gallery/`` with ``--preset docs`` and writes the example pages, figures and notebooks
to ``auto_examples/`` (generated, ignored by git); the lessons in ``docs/`` show those
figures.  ``make html`` builds from a clean ``auto_examples/`` with warnings as errors.
"""

import os
import re
import sys

ROOT = os.path.abspath(os.path.dirname(__file__))
sys.path.insert(0, os.path.join(ROOT, "docs", "_ext"))
# the scripts import this checkout's modules/, also where the environment's editable
# install points at another checkout (a git worktree)
sys.path.insert(0, ROOT)

import course_package  # noqa: E402  (docs/_ext: the site's address and the notebooks' first cell)

# The published site's address, set in one place: the environment variable
# GAN_COURSE_SITE_URL (the Pages workflow sets it; Read the Docs gives its own).  With
# it, install lines and notebooks name the course package's full URL; without it (a
# local build) they name the wheel a student downloads from any lesson page.
html_baseurl = course_package.site_url()

project = "Generative Adversarial Networks: a hands-on course"
author = "The GAN course authors"
copyright = "2026, the GAN course authors"
release = "0.1"

extensions = [
    "sphinx.ext.mathjax",
    "sphinx.ext.autodoc",  # the API reference (docs/api.rst) from modules/' docstrings
    "sphinx.ext.autosummary",
    "offline_mathjax",  # docs/_ext: MathJax in _static/, only the parts the site uses: math renders offline
    "sphinx_gallery.gen_gallery",
    "sphinx_design",
    "sphinx_copybutton",
    "myst_parser",
    "course_build",
    "course_package",  # docs/_ext/course_package.py: the wheel, the lesson zips and the install box
    "accessibility",  # docs/_ext/accessibility.py: what axe-core's serious and critical rules ask of every page
    "sharp_figures",  # docs/_ext/sharp_figures.py: figures drawn at 200 dpi, shown at half their pixels
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# The root is also the project's root: leave out everything that is not a page.
exclude_patterns = [
    ".venv",
    "_build",
    ".git",
    ".ci",
    ".pytest_cache",
    "**/.ipynb_checkpoints",
    "README.md",
    "tests",
    "modules",
    "gallery",
    "docs/_ext",
    "auto_examples/**/*.ipynb",
    "auto_examples/**/*.py",
    "auto_examples/**/*.zip",
]

# The API reference (docs/api.rst): one page per module of modules/, generated from the
# docstrings into docs/_generated/api/ (ignored by git) with the template in
# docs/_templates/; each object is followed by the scripts that use it (sphinx-gallery's
# backreferences, see doc_module below).
templates_path = ["docs/_templates"]
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's public names are its __all__
autodoc_member_order = "bysource"
autodoc_inherit_docstrings = False  # not torch.nn.Module.forward's docstring on every network
toc_object_entries = False  # each object has its own section in the page's contents

# Fail on references that do not resolve.
nitpicky = False
suppress_warnings = []

sphinx_gallery_conf = {
    "examples_dirs": ["gallery"],
    "gallery_dirs": ["auto_examples"],
    # execute every lesson script; GAN_COURSE_EXECUTE=<regex> runs only the matching ones
    # (a maintainer's partial build: the others' numbers and figures show placeholders)
    # (matched within gallery/, not against the checkout's own path)
    "filename_pattern": (
        rf"{re.escape(os.sep)}gallery{re.escape(os.sep)}.*(?:{os.environ['GAN_COURSE_EXECUTE']})"
        if os.environ.get("GAN_COURSE_EXECUTE")
        else r"\.py$"
    ),
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "course_build.TrainersFirst",  # *_train.py first: warms the model cache
    "reset_argv": "course_build.reset_argv",  # every script runs with --preset docs
    # before a script that trains in the background (below), wait for it to finish
    "reset_modules": ("matplotlib", "course_build.wait_for_background"),
    "image_scrapers": ("course_build.named_figure_scraper",),
    "matplotlib_animations": (True, "jshtml"),  # animations embed their frames, no ffmpeg
    "abort_on_example_error": True,  # a failing script fails the build
    # a page shows what a script prints, as a terminal (and the notebook) does; not the
    # repr of a cell's last expression (say the text a record() call returns)
    "capture_repr": (),
    "only_warn_on_example_error": False,
    "download_all_examples": True,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "min_reported_time": 0,
    # backreferences: each API entry (docs/api.rst) lists the scripts that use it
    "doc_module": ("modules",),
    "backreferences_dir": "docs/_generated/backreferences",  # generated, ignored by git
    # sphinx-gallery's own timing pages load jQuery and DataTables from CDNs; the
    # Build report page (docs/build_report.rst) lists the same times without a network
    "write_computation_times": False,
    # installs the course package when `modules` is missing (docs/_ext/course_package.py)
    "first_notebook_cell": course_package.first_notebook_cell(),
}

# Scripts that train on one CPU thread and start in a second process when the build
# starts, so that their training uses the core the first lesson's scripts (one thread
# each) leave idle; the gallery's run of the script then loads the trained model from
# the model cache (see docs/_ext/course_build.py).  StyleGAN-lite is the longest such
# run and the last lesson, so it is ready long before the gallery needs it.
course_background_scripts = ["12_1_9_style_based_generators/stylegan_lite.py"]

html_theme = "sphinx_book_theme"
html_title = "GAN course"
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
}
html_static_path = ["docs/_static"]  # the favicon and course.css
html_css_files = ["course.css"]
html_favicon = "docs/_static/favicon.svg"  # without one, browsers ask the server root for /favicon.ico
# the theme's colour mode before a reader picks one (an empty mode logs a console error)
html_context = {"default_mode": "light"}
html_last_updated_fmt = None

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

myst_enable_extensions = ["dollarmath"]
