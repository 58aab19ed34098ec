"""The notebooks the site offers run top to bottom in Jupyter, offline.

sphinx-gallery turns every lesson script into a notebook during the build (the example
pages link them).  Here one of them, downloaded from the built site, is executed in a
fresh IPython kernel by nbclient, with networking switched off and the quick preset
chosen the way the notebook's first cell tells a student to (``GAN_COURSE_PRESET=docs``):
every cell runs without an error, figures are drawn, and it prints exactly what the
same script printed in the build.
"""

from __future__ import annotations

import re

import pytest

from course import MODEL_CACHE, ROOT, blocked_requests, no_network_env

pytestmark = pytest.mark.slow

SCRIPT = "gan_architecture"
LESSON = "12_1_1_gan_architecture"


def build_output(rst: str) -> list[str]:
    """The lines a script printed, as the executed example page shows them."""
    blocks = re.findall(r"\.\. rst-class:: sphx-glr-script-out\n\n \.\. code-block:: none\n\n(.*?)\n\n\n", rst, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_a_generated_notebook_runs_top_to_bottom_offline(site, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    notebooks = list(site.html.glob(f"_downloads/*/{SCRIPT}.ipynb"))
    assert len(notebooks) == 1, "the site offers the script's notebook"
    nb = nbformat.read(notebooks[0], as_version=4)
    assert "GAN_COURSE_PRESET=docs" in nb.cells[0].source  # the first cell tells how to run it quickly
    netlog = tmp_path / "network.log"
    for key, value in {
        "GAN_COURSE_PRESET": "docs",
        "GAN_COURSE_CACHE": str(MODEL_CACHE),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        **no_network_env(netlog),
    }.items():
        monkeypatch.setenv(key, value)  # the kernel inherits the environment

    client = NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError if a cell fails

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    printed = [
        line.strip()
        for out in outputs
        if out.output_type == "stream" and out.name == "stdout"
        for line in out.text.splitlines()
        if line.strip()
    ]
    executed = (ROOT / "auto_examples" / LESSON / f"{SCRIPT}.rst").read_text(encoding="utf-8")
    assert printed == build_output(executed), "the notebook printed something else than the build"
    figures = [out for out in outputs if out.output_type == "display_data" and "image/png" in out.get("data", {})]
    assert len(figures) >= 3, "the notebook draws the lesson's figures"
    assert not blocked_requests(netlog)
