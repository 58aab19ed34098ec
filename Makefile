# The two commands of the README:
#   make html   build the whole course (every lesson script executed) into _build/html
#   make test   run the test suite (unit tests, quality gates, the site build)
# Both create the environment .venv from pyproject.toml first when it is missing or
# older than pyproject.toml.

PYTHON   ?= python3
VENV     ?= .venv
VPY      := $(VENV)/bin/python
BUILDDIR ?= _build
SPHINXOPTS ?=
STAMP    := $(VENV)/.installed
# what every target needs first; the tests set BOOTSTRAP= and VPY=<their python>
BOOTSTRAP ?= $(STAMP)
# the generated gallery, the API pages and backreferences generated from modules/, and
# the timing page older sphinx-gallery builds wrote at the root
GENERATED := auto_examples docs/_generated sg_execution_times.rst

.PHONY: help env html html-noplot test robustness run clean

help:
	@echo "make html                 build the course, executing every lesson script (docs preset)"
	@echo "make test                 run all tests (includes a full site build)"
	@echo "make robustness           the study: every lesson claim's gate over 3 seeds and 2 CPU kernel paths (long)"
	@echo "make html-noplot          build the pages without executing scripts (fast prose edits)"
	@echo "make run SCRIPT=gallery/12_1_1_gan_architecture/gan_architecture.py ARGS='--preset docs'"
	@echo "                          run one lesson script"
	@echo "make clean                remove the build, the generated gallery and caches"

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

# A clean gallery every time: sphinx-gallery only re-runs a script whose own text
# changed, so without this a change in modules/ would leave stale figures behind.
# Every script runs again and redraws its figures, but trained models and 2-D runs
# come from MODEL_CACHE when they are there: it is kept between builds, and its files
# are keyed by everything that decides them (the recipe's settings and the source of
# modules/), so a build after a change of prose retrains nothing and a change of code
# retrains what it touches.  `make clean` empties it: the next build starts from scratch.
MODEL_CACHE ?= $(abspath $(BUILDDIR))/model-cache

html: $(BOOTSTRAP)
	rm -rf $(GENERATED) $(BUILDDIR)/html $(BUILDDIR)/doctrees
	GAN_COURSE_CACHE=$(MODEL_CACHE) $(VPY) -m sphinx -b html -W --keep-going -d $(BUILDDIR)/doctrees $(SPHINXOPTS) . $(BUILDDIR)/html
	@echo "The course is in $(BUILDDIR)/html/index.html"

html-noplot: $(BOOTSTRAP)
	rm -rf $(GENERATED) $(BUILDDIR)/html-noplot $(BUILDDIR)/doctrees-noplot  # no stale pages of an earlier build that executed scripts
	$(VPY) -m sphinx -b html -W --keep-going -D plot_gallery=0 -d $(BUILDDIR)/doctrees-noplot $(SPHINXOPTS) . $(BUILDDIR)/html-noplot
	@echo "Pages without executed scripts are in $(BUILDDIR)/html-noplot/index.html"

# the browser tests need Debian's Chromium: installed first when missing and possible,
# else one line says how, before anything runs (.ci/chromium)
test: $(BOOTSTRAP)
	.ci/chromium
	$(VPY) -m pytest $(PYTEST_ARGS)

# Not part of make test (it trains every docs run six times): do the lessons' claims
# hold for other seeds and with ATEN_CPU_CAPABILITY=default (another CPU's rounding)?
ROBUSTNESS_ARGS ?=
robustness: $(BOOTSTRAP)
	$(VPY) tests/robustness.py --out $(BUILDDIR)/robustness.md $(ROBUSTNESS_ARGS)

SCRIPT ?=
ARGS ?=
run: $(BOOTSTRAP)
	@test -n "$(SCRIPT)" || { echo "usage: make run SCRIPT=gallery/<lesson>/<script>.py ARGS='...'"; exit 2; }
	cd $(dir $(SCRIPT)) && $(abspath $(VPY)) $(notdir $(SCRIPT)) $(ARGS)

clean:
	rm -rf $(BUILDDIR) $(GENERATED) .pytest_cache
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
