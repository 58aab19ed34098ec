"""The tests' fixtures: the site built once, one PyTorch thread for tiny networks.

The plain helpers they use (paths, :func:`~course.run_script`, the site's build) live
in ``course.py``; import those from there, not from this file."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

# The lesson-claims tests' shared checks assert in lesson_checks.py: show their failures
# as pytest shows a test's own.
pytest.register_assert_rewrite("lesson_checks", "course")

from course import Site, git_status, make, no_network_env  # noqa: E402


@pytest.fixture
def one_thread():
    """Tiny networks run fastest (and steadiest on a busy 2-core box) on one thread."""
    from modules.game.runtime import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    """Build the site once, as ``make html`` does, with networking switched off.

    ``GAN_COURSE_SITE=<build dir>`` reuses a build made before (say with ``make html
    BUILDDIR=...``) instead, for a maintainer checking pages without rebuilding; the
    git-status and network checks then see nothing of that build."""
    reuse = os.environ.get("GAN_COURSE_SITE")
    if reuse:
        builddir = Path(reuse).resolve()
        assert (builddir / "html" / "index.html").is_file(), f"GAN_COURSE_SITE={reuse} holds no built site"
        netlog = builddir / "network.log"
        if not netlog.exists():
            netlog.write_text("active (reused build: not guarded)\n", encoding="utf-8")
        status = git_status()
        proc = subprocess.CompletedProcess(["make", "html"], 0, "", "")
        return Site(builddir / "html", status, status, proc, 0.0, netlog)
    builddir = tmp_path_factory.mktemp("build")
    netlog = builddir / "network.log"
    before = git_status()
    start = time.perf_counter()
    proc = make("html", builddir, env=no_network_env(netlog))
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"make html failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    print(f"\nclean site build: {seconds:.1f} s")
    return Site(builddir / "html", before, git_status(), proc, seconds, netlog)


#: where the tests serve the built site: under a prefix, as a project page on a Git host is
PREFIX = "course/gan/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    """The built site at http://127.0.0.1:<port>/course/gan/ (loopback only)."""
    root = tmp_path_factory.mktemp("served")
    (root / PREFIX).parent.mkdir(parents=True)
    (root / PREFIX.rstrip("/")).symlink_to(site.html, target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{PREFIX}"
    server.shutdown()
    server.server_close()
