"""Where a script's figures go at its end: a window, or files (``--save-figures DIR``).

Every lesson script ends with :func:`show_figures`.  On a desktop it opens the figures'
windows, as ``plt.show()`` does.  On a machine without a display (a GPU server over
SSH, where matplotlib falls back to its non-interactive backend) a window cannot open:
``--save-figures DIR`` writes every open figure as ``DIR/<script>-<label>.png``, named
by the label each figure of :mod:`modules.figures.plotting` carries (the names the
lessons use), and an animation also as a ``.gif``.  Without the flag, such a run says
once how to keep its figures instead of dropping them silently.

:func:`sample_pngs` writes generated images one PNG file each (``--sample-pngs DIR``),
the folder of images that FID tools such as pytorch-fid and clean-fid read.

Introduced in lesson 12.1.1 (GAN Architecture); every script uses it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import torch

__all__ = ["show_figures", "save_figures", "figure_names", "outside_figure", "sample_pngs", "export_samples", "writable_folder"]

#: the resolution of saved figures: sharp on a high-density screen and in print (the
#: site draws its figures at the same resolution and shows them at half their pixels,
#: two image pixels per CSS pixel)
DPI = 200


def outside_figure(fig: matplotlib.figure.Figure, tolerance: float = 2.0) -> list[str]:
    """What of ``fig`` would be cut off at its edges: ``[]`` when everything drawn lies
    inside it, else one description per piece that reaches out (the text of a clipped
    label or title, or the extent of another artist), for the build's check that no
    figure on the site loses a label.  ``tolerance`` is in pixels at the figure's dpi."""
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    width, height = fig.bbox.width, fig.bbox.height

    def reaches_out(box) -> bool:
        return box.x0 < -tolerance or box.y0 < -tolerance or box.x1 > width + tolerance or box.y1 > height + tolerance

    whole = fig.get_tightbbox(renderer)  # in inches, like bbox_inches="tight"
    if whole is None or not reaches_out(whole.transformed(fig.dpi_scale_trans)):
        return []
    # tick labels (also those of ticks outside the view, never drawn): the axes' own
    # tight box below covers the ones drawn
    ticks = {
        id(label)
        for ax in fig.axes
        for axis in (ax.xaxis, ax.yaxis)
        for tick in axis.get_major_ticks() + axis.get_minor_ticks()
        for label in (tick.label1, tick.label2)
    }
    found = []
    for text in fig.findobj(matplotlib.text.Text):
        if id(text) in ticks or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.width and reaches_out(box):
            found.append(f"text {text.get_text()!r}")
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer)
        if box is not None and reaches_out(box) and not found:
            found.append(f"axes {ax.get_title() or ax.get_label() or 'untitled'!r} (its tick labels or decorations)")
    return found or [f"something drawn at {tuple(round(v, 2) for v in whole.extents)} inches, outside the figure's {fig.get_size_inches().round(2).tolist()}"]


def writable_folder(value: str) -> str | None:
    """Check of a ``DIR`` flag: a folder that exists or can be created (nothing is
    created here; :func:`save_figures` does)."""
    path = Path(os.path.expanduser(value))
    if path.exists() and not path.is_dir():
        return "is a file, not a folder"
    parent = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        return f"cannot be written: {parent} is not writable"
    return None


def _script() -> str:
    """The running script's name without ``.py`` (``dcgan_train``), for file names."""
    return Path(sys.argv[0] or "figure").stem or "figure"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "figure"


def figure_names(figures=None, prefix: str | None = None) -> dict[str, matplotlib.figure.Figure]:
    """``{file stem: figure}`` for the open figures (or ``figures``): ``<script>-<label>``,
    ``<script>-figure<N>`` for a figure without a label, with ``-2``, ``-3`` added when
    two figures share a label."""
    prefix = _script() if prefix is None else prefix
    figures = [plt.figure(n) for n in plt.get_fignums()] if figures is None else list(figures)
    names: dict[str, matplotlib.figure.Figure] = {}
    for fig in figures:
        stem = f"{prefix}-{_slug(fig.get_label() or f'figure{fig.number}')}"
        name, k = stem, 2
        while name in names:
            name, k = f"{stem}-{k}", k + 1
        names[name] = fig
    return names


def save_figures(folder: str | os.PathLike, prefix: str | None = None, dpi: int = DPI) -> list[Path]:
    """Write every open figure to ``folder`` as ``<script>-<label>.png`` (an animated
    figure also as ``.gif``, every frame); returns the files, full paths."""
    folder = Path(os.path.expanduser(folder)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, fig in figure_names(prefix=prefix).items():
        path = folder / f"{stem}.png"
        fig.savefig(path, dpi=dpi)
        written.append(path)
        animation = getattr(fig, "course_animation", None)  # set by plotting.strip_animation
        if animation is not None:
            from matplotlib.animation import PillowWriter

            gif = folder / f"{stem}.gif"
            animation.save(gif, writer=PillowWriter(fps=max(1, round(1000 / animation._interval))), dpi=100)
            written.append(gif)
    return written


def _interactive() -> bool:
    """Whether ``plt.show()`` can open a window with the backend in use."""
    backend = matplotlib.get_backend().lower()
    return backend not in {"agg", "pdf", "ps", "svg", "cairo", "template"} and not backend.startswith("module://matplotlib_inline")


def show_figures(save_dir: str | os.PathLike | None = None) -> list[Path]:
    """The end of every script: write the open figures to ``save_dir`` when given
    (:func:`save_figures`, printing where), then ``plt.show()``.  A run whose backend
    cannot show a window, outside the site build and a notebook, without ``save_dir``,
    prints one line saying how to keep the figures.  Returns the files written."""
    written = []
    if save_dir:
        written = save_figures(save_dir)
        where = written[0].parent if written else Path(os.path.expanduser(save_dir)).resolve()
        print(f"saved {len(written)} figure file{'s' if len(written) != 1 else ''} to {where}")
    elif plt.get_fignums() and not _interactive() and "sphinx_gallery" not in sys.modules and "ipykernel" not in sys.modules:
        print(
            f"{_script()}: no display (matplotlib backend {matplotlib.get_backend()}): the figures are not shown; "
            "run again with --save-figures DIR to keep them as PNG files",
            file=sys.stderr,
        )
        return written
    plt.show()
    return written


def sample_pngs(
    images: torch.Tensor,
    folder: str | os.PathLike,
    prefix: str = "sample",
    start: int = 0,
    total: int | None = None,
    labels: torch.Tensor | None = None,
) -> Path:
    """Write ``images`` (``(N, C, H, W)`` in [-1, 1], as every generator here makes
    them) as ``folder/<prefix>-00000.png`` ...: one 8-bit PNG per image, greyscale for
    one channel, RGB for three, numbered from ``start`` (with as many digits as
    ``total`` needs), a class label appended when given (``-c3``).  Returns the
    folder, a full path."""
    from PIL import Image

    folder = Path(os.path.expanduser(folder)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    from modules.data.images import to_unit_range

    pixels = (to_unit_range(images.detach().float().cpu()) * 255).round().to(torch.uint8)
    digits = max(5, len(str((total or start + len(pixels)) - 1)))
    for i, image in enumerate(pixels):
        array = image[0].numpy() if image.shape[0] == 1 else image.permute(1, 2, 0).numpy()
        suffix = "" if labels is None else f"-c{int(labels[i])}"
        Image.fromarray(array).save(folder / f"{prefix}-{start + i:0{digits}d}{suffix}.png")
    return folder


def export_samples(trainer, folder: str | os.PathLike | None, count: int, seed: int = 0, classes: int = 0) -> Path | None:
    """``--sample-pngs DIR``: ``count`` samples of a trained generator (the moving
    average of its weights where the run kept one), drawn with their own seed, written
    by :func:`sample_pngs` in chunks; a conditional generator (``classes`` > 0) draws
    the classes in turn and each file name ends with its class (``-c3``).  Prints and
    returns the folder (a full path); does nothing without ``folder``."""
    if not folder:
        return None
    rng = torch.Generator().manual_seed(seed + 7)
    ema = getattr(trainer, "ema", None) is not None
    for start in range(0, count, 500):
        n = min(500, count - start)
        labels = torch.arange(start, start + n) % classes if classes else None
        images = trainer.sample(n, generator=rng, labels=labels, ema=ema)
        out = sample_pngs(images, folder, prefix="sample", start=start, total=count, labels=labels)
    print(f"wrote {count} samples of the {'moving-average ' if ema else ''}generator as PNG files to {out}")
    return out
