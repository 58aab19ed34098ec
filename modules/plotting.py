"""The figures the lessons show.

Every function returns a :class:`matplotlib.figure.Figure` whose *label*
(``fig.get_label()``) names it.  The site build saves each labelled figure under that
name as well as under sphinx-gallery's running number, so a lesson page refers to
``.../images/named/<script>-<label>.png`` and adding a figure to a script never
swaps the pictures a lesson shows.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .data import GaussianTarget, is_clean_line
from .training import History

__all__ = [
    "COLORS",
    "draw_gan_diagram",
    "plot_losses",
    "plot_d_outputs",
    "plot_1d_results",
    "plot_1d_progress",
    "plot_pattern_grid",
    "plot_pattern_progress",
]

COLORS = {"real": "#1f77b4", "fake": "#d62728", "d": "#9467bd", "g": "#2ca02c", "ink": "#333333"}


def _figure(label: str, **kwargs) -> Figure:
    fig = plt.figure(**kwargs)
    fig.set_label(label)
    return fig


# ---------------------------------------------------------------------------
# The architecture diagram
# ---------------------------------------------------------------------------
def draw_gan_diagram(label: str = "architecture") -> Figure:
    """The GAN block diagram: noise -> G -> fake; real and fake -> D -> P(real),
    with the two feedback paths (D's loss updates D, G's loss flows back through D)."""
    fig = _figure(label, figsize=(10, 4.2))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 10.4)
    ax.set_ylim(0, 4.2)
    ax.axis("off")

    def box(x, y, w, h, text, color, **kw):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.06", fc=color, ec=COLORS["ink"], lw=1.5, alpha=0.9))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=11, **kw)

    def arrow(p, q, color=COLORS["ink"], style="-|>", ls="-", rad=0.0):
        ax.add_patch(
            FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=16, lw=1.6, color=color, ls=ls, connectionstyle=f"arc3,rad={rad}")
        )

    box(0.2, 0.7, 1.6, 0.9, "noise z\n~ N(0, I)", "#eeeeee")
    box(2.5, 0.6, 1.8, 1.1, "Generator G\n(counterfeiter)", "#c7e9c0", weight="bold")
    box(5.0, 0.7, 1.6, 0.9, "fake x̃ = G(z)", "#fcbba1")
    box(5.0, 2.6, 1.6, 0.9, "real x\n(training data)", "#c6dbef")
    box(7.2, 1.5, 1.8, 1.2, "Discriminator D\n(detective)", "#dadaeb", weight="bold")
    ax.text(9.75, 2.1, "D(·) =\nP(real)", ha="center", va="center", fontsize=11)

    arrow((1.85, 1.15), (2.45, 1.15))
    arrow((4.35, 1.15), (4.95, 1.15))
    arrow((6.65, 1.15), (7.15, 1.85))
    arrow((6.65, 3.05), (7.15, 2.45))
    arrow((9.05, 2.1), (9.3, 2.1))
    # feedback: D's verdict on fakes flows back to G as a gradient
    arrow((8.1, 1.45), (3.4, 0.55), color=COLORS["g"], ls="--", rad=-0.25)
    ax.text(5.8, 0.08, "G's loss: gradients flow back through D into G", color=COLORS["g"], ha="center", fontsize=10)
    ax.text(8.1, 3.25, "D's loss: say 1 for real,\n0 for fake", color=COLORS["d"], ha="center", fontsize=10)
    return fig


# ---------------------------------------------------------------------------
# Curves shared by every lesson
# ---------------------------------------------------------------------------
def plot_losses(ax: plt.Axes, history: History, equilibrium: bool = True) -> None:
    """D and G losses per epoch; dotted lines at the values of the equilibrium
    D(x) = D(G(z)) = 1/2 (D: 2 ln 2, non-saturating G: ln 2)."""
    ax.plot(history.epoch, history.d_loss, color=COLORS["d"], lw=1.2, label="D loss")
    ax.plot(history.epoch, history.g_loss, color=COLORS["g"], lw=1.2, label="G loss")
    if equilibrium:
        ax.axhline(2 * np.log(2), color=COLORS["d"], ls=":", lw=1, label="D at equilibrium (2 ln 2)")
        ax.axhline(np.log(2), color=COLORS["g"], ls=":", lw=1, label="G at equilibrium (ln 2)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Losses")
    ax.legend(fontsize=8)


def plot_d_outputs(ax: plt.Axes, history: History) -> None:
    """Mean D(x) on real and D(G(z)) on fake batches; both meet at 1/2 at equilibrium."""
    ax.plot(history.epoch, history.d_real, color=COLORS["real"], lw=1.2, label="D(x), real")
    ax.plot(history.epoch, history.d_fake, color=COLORS["fake"], lw=1.2, label="D(G(z)), fake")
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("epoch")
    ax.set_ylabel("D's probability of 'real'")
    ax.set_title("What D believes")
    ax.legend(fontsize=8)


# ---------------------------------------------------------------------------
# 1-D numbers
# ---------------------------------------------------------------------------
def _hist_with_target(ax: plt.Axes, samples: torch.Tensor, target: GaussianTarget, title: str) -> None:
    x = samples.detach().flatten().double().numpy()
    lo = min(target.mean - 4 * target.std, np.percentile(x, 0.5))
    hi = max(target.mean + 4 * target.std, np.percentile(x, 99.5))
    ax.hist(x, bins=60, range=(lo, hi), density=True, color=COLORS["fake"], alpha=0.55, label="generated")
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)
    ax.plot(grid.numpy(), target.density(grid).numpy(), color=COLORS["real"], lw=2, label=f"target N({target.mean:g}, {target.std:g}²)")
    ax.set_title(title)
    ax.set_xlabel("value")


def plot_1d_results(samples: torch.Tensor, target: GaussianTarget, history: History, label: str = "training_results") -> Figure:
    """Left: histogram of generated numbers over the target density.  Middle: losses.
    Right: D's mean output on real and fake batches."""
    fig = _figure(label, figsize=(15, 4.2), layout="constrained")
    ax_hist, ax_loss, ax_d = fig.subplots(1, 3)
    m, s = samples.double().mean().item(), samples.double().std().item()
    _hist_with_target(ax_hist, samples, target, f"Generated: mean={m:.2f}, std={s:.2f}")
    ax_hist.set_ylabel("density")
    ax_hist.legend(fontsize=8)
    plot_losses(ax_loss, history)
    plot_d_outputs(ax_d, history)
    return fig


def plot_1d_progress(snapshots: Sequence[tuple[int, torch.Tensor]], target: GaussianTarget, label: str = "progress", max_panels: int = 6) -> Figure:
    """Histograms of G's output on the same fixed noise at several epochs."""
    picks = _spread(snapshots, max_panels)
    fig = _figure(label, figsize=(2.6 * len(picks), 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(picks), sharey=True))
    for ax, (epoch, x) in zip(axes, picks):
        _hist_with_target(ax, x, target, f"epoch {epoch}")
    axes[0].set_ylabel("density")
    return fig


def _spread(items: Sequence, k: int) -> list:
    """Up to ``k`` items spread evenly from first to last."""
    if len(items) <= k:
        return list(items)
    idx = np.linspace(0, len(items) - 1, k).round().astype(int)
    return [items[i] for i in idx]


# ---------------------------------------------------------------------------
# 8x8 patterns
# ---------------------------------------------------------------------------
def _show_image(ax: plt.Axes, img: torch.Tensor, frame: str | None = None) -> None:
    ax.imshow(img.detach().reshape(img.shape[-2], img.shape[-1]).numpy(), cmap="gray_r", vmin=-1, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(frame or "#bbbbbb")
        spine.set_linewidth(2.5 if frame else 0.8)


def plot_pattern_grid(real: torch.Tensor, fake: torch.Tensor, label: str = "real_vs_generated", cols: int = 8) -> Figure:
    """Top row: real patterns.  Rows below: generated ones, framed green when they
    are clean single lines and red when they are not."""
    rows = 1 + int(np.ceil(len(fake) / cols))
    fig = _figure(label, figsize=(1.2 * cols, 1.3 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    clean = is_clean_line(fake)
    for j in range(cols):
        _show_image(axes[0, j], real[j])
    axes[0, 0].set_ylabel("real", fontsize=11)
    for i in range(len(fake)):
        ax = axes[1 + i // cols, i % cols]
        _show_image(ax, fake[i], frame="#2ca02c" if clean[i] else "#d62728")
    for i in range(len(fake), (rows - 1) * cols):
        axes[1 + i // cols, i % cols].axis("off")
    axes[1, 0].set_ylabel("generated", fontsize=11)
    fig.suptitle(f"Real (top) vs generated: {clean.float().mean().item():.0%} of these are clean lines (green frame)")
    return fig


def plot_pattern_progress(snapshots: Sequence[tuple[int, torch.Tensor]], label: str = "progress", cols: int = 8, max_rows: int = 5) -> Figure:
    """G's output on the same fixed noise vectors (columns) at several epochs (rows)."""
    picks = _spread(snapshots, max_rows)
    fig = _figure(label, figsize=(1.1 * cols + 0.8, 1.15 * len(picks) + 0.5), layout="constrained")
    axes = fig.subplots(len(picks), cols, squeeze=False)
    for r, (epoch, x) in enumerate(picks):
        for c in range(cols):
            _show_image(axes[r, c], x[c])
        axes[r, 0].set_ylabel(f"epoch {epoch}", fontsize=10)
    fig.suptitle("The same noise vectors over training")
    return fig
