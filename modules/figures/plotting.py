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
from matplotlib.ticker import NullFormatter

from modules.data.synthetic import GaussianMixture2D, GaussianTarget, is_clean_line
from modules.data.images import to_unit_range
from modules.evaluation.monitor import HealthReport
from modules.game.history import History

__all__ = [
    "COLORS",
    "draw_gan_diagram",
    "plot_losses",
    "plot_d_outputs",
    "plot_1d_results",
    "plot_1d_progress",
    "plot_pattern_grid",
    "plot_pattern_progress",
    "image_grid",
    "plot_image_panels",
    "plot_image_progress",
    "plot_training_curves",
    "plot_class_grid",
    "plot_strips",
    "strip_animation",
    "plot_nearest_neighbours",
    "plot_class_shares",
    "plot_curves",
    "scatter_2d",
    "plot_2d_progress",
    "plot_2d_panels",
    "plot_coverage_bars",
    "plot_monitor",
    "plot_gradient_norms",
    "plot_estimate_and_quality",
    "plot_metrics_over_training",
    "plot_metric_cases",
    "plot_distance_histograms",
    "plot_sample_size_bias",
    "plot_image_columns",
    "plot_mixing_grid",
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
def plot_losses(ax: plt.Axes, history: History, equilibrium: bool = True, xlabel: str = "epoch") -> None:
    """D and G losses per epoch; dotted lines at the values of the equilibrium
    D(x) = D(G(z)) = 1/2 (D: 2 ln 2, non-saturating G: ln 2)."""
    ax.plot(history.epoch, history.d_loss, color=COLORS["d"], lw=1.2, label="D loss")
    ax.plot(history.epoch, history.g_loss, color=COLORS["g"], lw=1.2, label="G loss")
    if equilibrium:
        ax.axhline(2 * np.log(2), color=COLORS["d"], ls=":", lw=1, label="D at equilibrium (2 ln 2)")
        ax.axhline(np.log(2), color=COLORS["g"], ls=":", lw=1, label="G at equilibrium (ln 2)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title("Losses")
    ax.legend(fontsize=8)


def plot_d_outputs(ax: plt.Axes, history: History, xlabel: str = "epoch") -> None:
    """Mean D(x) on real and D(G(z)) on fake batches; both meet at 1/2 at equilibrium."""
    ax.plot(history.epoch, history.d_real, color=COLORS["real"], lw=1.2, label="D(x), real")
    ax.plot(history.epoch, history.d_fake, color=COLORS["fake"], lw=1.2, label="D(G(z)), fake")
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(xlabel)
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


# ---------------------------------------------------------------------------
# Images (lessons 12.1.2 onwards)
# ---------------------------------------------------------------------------
def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 1) -> np.ndarray:
    """Images in ``[-1, 1]`` with shape ``(N, C, H, W)`` tiled into one ``(H', W')``
    (grey) or ``(H', W', 3)`` (colour) array in ``[0, 1]`` for ``imshow``."""
    from torchvision.utils import make_grid

    grid = make_grid(to_unit_range(images.detach().float().cpu()), nrow=nrow, padding=padding, pad_value=0.5)
    return grid[0].numpy() if images.shape[1] == 1 else grid.permute(1, 2, 0).numpy()


def _show_grid(ax: plt.Axes, images: torch.Tensor, title: str = "", nrow: int = 8) -> None:
    ax.imshow(image_grid(images, nrow), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.axis("off")


def plot_image_panels(panels: dict[str, torch.Tensor], label: str, nrow: int = 8, title: str = "") -> Figure:
    """Grids side by side, one per entry of ``panels`` (title -> images): real next to
    generated, raw generator next to its moving average, and so on."""
    fig = _figure(label, figsize=(3.3 * len(panels), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (name, images) in zip(axes, panels.items()):
        _show_grid(ax, images, name, nrow)
    if title:
        fig.suptitle(title)
    return fig


def plot_image_progress(snapshots: Sequence[tuple[int, torch.Tensor]], label: str = "progress", max_panels: int = 5, n: int = 16, unit: str = "step") -> Figure:
    """The generator's output on the same fixed noise at several points of training."""
    picks = _spread(snapshots, max_panels)
    fig = _figure(label, figsize=(2.6 * len(picks), 2.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(picks)))
    for ax, (step, images) in zip(axes, picks):
        _show_grid(ax, images[:n], f"{unit} {step}", nrow=int(np.sqrt(n)))
    fig.suptitle("The same noise vectors over training")
    return fig


def plot_training_curves(history: History, label: str = "training_curves", unit: str = "step", smooth: int = 1, equilibrium: bool = True) -> Figure:
    """Losses (left) and D's beliefs (right) over training, optionally smoothed with
    a moving average of ``smooth`` points so the trend shows through the noise.
    ``equilibrium=False`` leaves out the log loss's equilibrium lines, for losses
    they do not apply to (least squares, or a G loss with extra terms)."""
    if smooth > 1 and len(history.epoch) >= smooth:
        kernel = np.ones(smooth) / smooth
        cut = lambda xs: list(np.convolve(xs, kernel, mode="valid"))  # noqa: E731
        history = History(
            epoch=history.epoch[smooth - 1 :],
            d_loss=cut(history.d_loss),
            g_loss=cut(history.g_loss),
            d_real=cut(history.d_real),
            d_fake=cut(history.d_fake),
        )
    fig = _figure(label, figsize=(11, 3.8), layout="constrained")
    ax_loss, ax_d = fig.subplots(1, 2)
    plot_losses(ax_loss, history, equilibrium=equilibrium, xlabel=unit)
    plot_d_outputs(ax_d, history, xlabel=unit)
    if smooth > 1:
        fig.suptitle(f"Moving averages over {smooth} {unit}s")
    return fig


def plot_class_grid(images: torch.Tensor, class_names: Sequence[str], label: str = "class_grid", marks: torch.Tensor | None = None) -> Figure:
    """Rows are classes, columns are noise vectors: ``images`` holds ``rows x cols``
    images ordered row by row.  ``marks`` (bool per image) frames the images a judge
    did *not* recognise as their row's class in red."""
    rows = len(class_names)
    cols = len(images) // rows
    fig = _figure(label, figsize=(0.75 * cols + 0.8, 0.75 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for i in range(rows * cols):
        ax = axes[i // cols, i % cols]
        ax.imshow(image_grid(images[i : i + 1], 1, padding=0), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        bad = marks is not None and not bool(marks[i])
        for spine in ax.spines.values():
            spine.set_color("#d62728" if bad else "#bbbbbb")
            spine.set_linewidth(2.5 if bad else 0.6)
    for r, name in enumerate(class_names):
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=11)
    for c in range(cols):
        axes[-1, c].set_xlabel(f"z{c + 1}", fontsize=8)
    return fig


def plot_strips(strips: dict[str, torch.Tensor], label: str, title: str = "") -> Figure:
    """One row of images per entry (name -> ``(T, C, H, W)``), e.g. interpolations."""
    cols = max(len(s) for s in strips.values())
    fig = _figure(label, figsize=(0.9 * cols + 0.4, 1.2 * len(strips) + 0.6), layout="constrained")
    axes = fig.subplots(len(strips), 1, squeeze=False)[:, 0]
    for ax, (name, strip) in zip(axes, strips.items()):
        ax.imshow(image_grid(strip, nrow=len(strip), padding=1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(name, loc="left", fontsize=10, pad=3)  # above the strip: a long name never runs off the edge
    if title:
        fig.suptitle(title)
    return fig


def strip_animation(frames: torch.Tensor, label: str = "animation", interval: int = 120, nrow: int = 8):
    """A matplotlib animation showing ``frames`` (``(T, N, C, H, W)``: T frames of N
    images each) one after another.  The site embeds it as JavaScript (no ffmpeg);
    keep the returned object in a top-level variable so sphinx-gallery finds it."""
    from matplotlib.animation import FuncAnimation

    fig = _figure(label, figsize=(0.9 * min(nrow, frames.shape[1]) + 0.4, 0.9 * int(np.ceil(frames.shape[1] / nrow)) + 0.4))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.axis("off")
    shown = ax.imshow(image_grid(frames[0], nrow), cmap="gray", vmin=0, vmax=1, interpolation="nearest")

    def update(t: int):
        shown.set_data(image_grid(frames[t], nrow))
        return (shown,)

    animation = FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=True)
    fig.course_animation = animation  # --save-figures writes it as a GIF too (modules.figures.output)
    return animation


def plot_nearest_neighbours(samples: torch.Tensor, neighbours: torch.Tensor, distances: torch.Tensor, label: str = "nearest_neighbours") -> Figure:
    """Top row: generated images; below each, its ``k`` nearest training images
    (``neighbours`` has shape ``(N, k, C, H, W)``) with their distances."""
    n, k = neighbours.shape[:2]
    fig = _figure(label, figsize=(1.05 * n + 0.9, 1.15 * (k + 1) + 0.5), layout="constrained")
    axes = fig.subplots(k + 1, n, squeeze=False)
    for j in range(n):
        ax = axes[0, j]
        ax.imshow(image_grid(samples[j : j + 1], 1, padding=0), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        for i in range(k):
            ax = axes[i + 1, j]
            ax.imshow(image_grid(neighbours[j, i : i + 1], 1, padding=0), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"{distances[j, i]:.1f}", fontsize=7, labelpad=1)
    axes[0, 0].set_ylabel("generated", fontsize=9)
    for i in range(k):
        axes[i + 1, 0].set_ylabel(f"train #{i + 1}", fontsize=9)
    return fig


def plot_class_shares(generated: torch.Tensor, real: torch.Tensor, class_names: Sequence[str], label: str = "class_shares", floor: float | None = None) -> Figure:
    """Bars: the share of each class among generated samples (as a classifier judges
    them) next to the share in the real data; ``floor`` draws a dotted minimum share."""
    fig = _figure(label, figsize=(8, 3.4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(class_names))
    ax.bar(x - 0.2, real.numpy() * 100, width=0.4, color=COLORS["real"], label="real data")
    ax.bar(x + 0.2, generated.numpy() * 100, width=0.4, color=COLORS["fake"], label="generated")
    if floor is not None:
        ax.axhline(floor * 100, color="grey", ls=":", lw=1, label=f"{floor:.0%}")
    ax.set_xticks(x, class_names)
    ax.set_ylabel("share of samples (%)")
    ax.legend(fontsize=8)
    return fig


def plot_curves(curves: dict[str, tuple[Sequence[float], Sequence[float]]], label: str, xlabel: str = "step", ylabel: str = "", title: str = "") -> Figure:
    """One line per entry (name -> (x values, y values)): a metric over training for
    several runs."""
    fig = _figure(label, figsize=(6, 3.4), layout="constrained")
    ax = fig.subplots()
    for name, (x, y) in curves.items():
        ax.plot(x, y, marker="o", ms=3, lw=1.4, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# 2-D mixtures (lessons 12.1.4 to 12.1.6)
# ---------------------------------------------------------------------------
def scatter_2d(ax: plt.Axes, samples: torch.Tensor, target: GaussianMixture2D, title: str = "", max_points: int = 2500) -> None:
    """G's samples (red dots) over the mixture's mode centres (blue rings whose
    radius is the 3-std "high quality" distance)."""
    from matplotlib.patches import Circle

    x = samples[:max_points].detach().cpu().numpy()
    ax.scatter(x[:, 0], x[:, 1], s=2, c=COLORS["fake"], alpha=0.35, linewidths=0, rasterized=True)
    for cx, cy in target.centres:
        ax.add_patch(Circle((cx, cy), 3 * target.std, fill=False, ec=COLORS["real"], lw=0.8))
        ax.plot(cx, cy, "+", color=COLORS["real"], ms=4, mew=0.8)
    extent = max(max(abs(c) for centre in target.centres for c in centre) * 1.45, 1.0)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def plot_2d_progress(
    rows: dict[str, Sequence[tuple[int, torch.Tensor]]], target: GaussianMixture2D, label: str, max_cols: int = 6, unit: str = "step"
) -> Figure:
    """One row per run (name -> its snapshots), one column per moment of training:
    the same fixed noise through G as training goes on."""
    cols = min(max_cols, max(len(snaps) for snaps in rows.values()))
    fig = _figure(label, figsize=(1.55 * cols + 0.9, 1.6 * len(rows) + 0.3), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), cols, squeeze=False))
    for r, (name, snaps) in enumerate(rows.items()):
        chosen = _spread(list(snaps), cols)
        for c in range(cols):
            ax = axes[r, c]
            if c < len(chosen):
                step, x = chosen[c]
                scatter_2d(ax, x, target, title=f"{unit} {step}")
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(name, fontsize=9)
    return fig


def plot_2d_panels(panels: dict[str, torch.Tensor], target: GaussianMixture2D, label: str, cols: int = 4, notes: dict[str, str] | None = None) -> Figure:
    """Final samples of several runs side by side (name -> samples), each titled with
    its name and, if given, a note such as its coverage."""
    rows = (len(panels) + cols - 1) // cols
    cols = min(cols, len(panels))
    side = max(2.1, 5.6 / cols)  # two or three panels get room enough to read
    fig = _figure(label, figsize=(side * cols, (side + 0.15) * rows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for ax, (name, x) in zip(axes.flat, panels.items()):
        note = (notes or {}).get(name, "")
        scatter_2d(ax, x, target, title=f"{name}\n{note}" if note else name)
    return fig


def plot_coverage_bars(names: Sequence[str], modes: Sequence[int], num_modes: int, high_quality: Sequence[float], label: str, title: str = "", flags: Sequence[bool] | None = None) -> Figure:
    """Two horizontal bar charts: modes covered (of ``num_modes``) and the share of
    high-quality samples, one bar per run; ``flags`` marks runs whose health monitor
    fired (a star after the name, hatched bars)."""
    fig = _figure(label, figsize=(8, 0.38 * len(names) + 1.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(names))
    hatch = ["//" if f else "" for f in (flags or [False] * len(names))]
    for yi, m, h in zip(y, modes, hatch):
        ax1.barh(yi, m, color=COLORS["g"], hatch=h, edgecolor="white")
    for yi, q, h in zip(y, high_quality, hatch):
        ax2.barh(yi, 100 * q, color=COLORS["d"], hatch=h, edgecolor="white")
    marked = [f"{n} *" if f else n for n, f in zip(names, flags or [False] * len(names))]
    ax1.set_yticks(y, marked)
    ax1.invert_yaxis()
    ax1.set_xlim(0, num_modes)
    ax1.axvline(num_modes, color="k", lw=0.8, ls=":")
    ax1.set_xlabel(f"modes covered (of {num_modes})")
    ax2.set_xlim(0, 100)
    ax2.set_xlabel("high-quality samples (%)")
    if flags is not None and any(flags):  # a star on the name: hatching is invisible on an empty bar
        fig.supxlabel("* and hatched: the health monitor fired", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_monitor(reports: dict[str, HealthReport], label: str, unit: str = "step") -> Figure:
    """The health monitor's readings, one column per run: D(x) and D(G(z)) (averaged
    over the monitor's window) with the warning thresholds on top, G's spread
    relative to the data's below, and a marker where each warning sign first
    appeared."""
    sign_colors = {"d_too_strong": "#ff7f0e", "d_failing": "#8c564b", "g_collapsing": "#e377c2"}
    fig = _figure(label, figsize=(4.2 * len(reports), 4.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(2, len(reports), sharex="col", squeeze=False))
    for c, (name, r) in enumerate(reports.items()):
        top, bottom = axes[0, c], axes[1, c]
        top.plot(r.steps, r.d_real, color=COLORS["real"], label="D(x)")
        top.plot(r.steps, r.d_fake, color=COLORS["fake"], label="D(G(z))")
        if r.probabilities:
            conf = r.thresholds.get("confident", 0.9)
            top.axhspan(conf, 1.02, color=sign_colors["d_too_strong"], alpha=0.08)
            top.axhspan(-0.02, 1 - conf, color=sign_colors["d_too_strong"], alpha=0.08)
            top.axhline(0.5, color="k", lw=0.6, ls=":")
            top.set_ylim(-0.02, 1.02)
        top.set_title(name, fontsize=10)
        top.set_ylabel("D's output")
        bottom.plot(r.steps, r.spread, color=COLORS["g"], label="G's spread / data's")
        bottom.axhline(r.thresholds.get("collapse_ratio", 0.3), color=sign_colors["g_collapsing"], lw=1, ls="--", label="collapse threshold")
        bottom.axhline(1.0, color="k", lw=0.6, ls=":")
        bottom.set_ylim(0, max(1.5, max(r.spread, default=1.0) * 1.1))
        bottom.set_xlabel(unit)
        bottom.set_ylabel("relative spread")
        if r.warmup_steps:
            for ax in (top, bottom):
                ax.axvspan(0, r.warmup_steps, color="0.85", alpha=0.5, lw=0)
            bottom.text(r.warmup_steps / 2, 0.97, "warm-up", transform=bottom.get_xaxis_transform(), ha="center", va="top", rotation=90, fontsize=7, color="0.4")
        for k, (sign, step) in enumerate(sorted(r.first_seen.items(), key=lambda item: item[1])):
            for ax in (top, bottom):
                ax.axvline(step, color=sign_colors[sign], lw=1.2, ls="-", alpha=0.8)
            # alternate sides of the line, so signs first seen at the same step stay readable
            top.annotate(sign.replace("_", " "), (step, 0.97), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right" if k % 2 == 0 else "left", fontsize=7, color=sign_colors[sign])
        if c == 0:
            top.legend(fontsize=7, loc="center right")
            bottom.legend(fontsize=7, loc="upper right")
    return fig


def plot_gradient_norms(norms: dict[str, torch.Tensor], label: str, title: str = "") -> Figure:
    """Histograms of the critic's input-gradient norms (name -> norms), with the
    target norm 1 of the gradient penalty marked."""
    fig = _figure(label, figsize=(6, 3.2), layout="constrained")
    ax = fig.subplots()
    top = max(float(n.max()) for n in norms.values())
    bins = np.linspace(0, max(2.0, top * 1.05), 60)
    for name, n in norms.items():
        ax.hist(n.detach().cpu().numpy(), bins=bins, alpha=0.55, label=f"{name} (mean {float(n.mean()):.2f})")
    ax.axvline(1.0, color="k", lw=1, ls="--", label="target norm 1")
    ax.set_xlabel("|gradient of the critic w.r.t. its input|")
    ax.set_ylabel("samples")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return fig


def plot_estimate_and_quality(
    steps: Sequence[int],
    estimate: Sequence[float],
    quality: tuple[Sequence[int], Sequence[float]] | None,
    label: str = "wasserstein_estimate",
    smooth: int = 25,
    quality_name: str = "",
    quality_reference: tuple[str, float] | None = None,
    log_quality: bool = False,
    unit: str = "step",
) -> Figure:
    """Left: the critic's Wasserstein estimate ``D(x) - D(G(z))`` per ``unit`` (faint)
    and its moving average over ``smooth`` points.  Right (when ``quality`` is given
    as ``(steps, values)``): a sample-quality score measured during the same run,
    ``quality_reference`` (name, value) drawn as a dashed line.  Lesson 12.1.4."""
    fig = _figure(label, figsize=(11 if quality is not None else 6, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, 2 if quality is not None else 1))
    ax = axes[0]
    ax.plot(steps, estimate, color=COLORS["d"], lw=0.6, alpha=0.35, label="per step")
    if smooth > 1 and len(estimate) >= smooth:
        ax.plot(steps[smooth - 1 :], np.convolve(estimate, np.ones(smooth) / smooth, mode="valid"), color=COLORS["d"], lw=2, label=f"moving average over {smooth} {unit}s")
    ax.axhline(0.0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel(unit)
    ax.set_ylabel("E[D(x)] - E[D(G(z))]")
    ax.set_title("The critic's Wasserstein estimate")
    ax.legend(fontsize=8)
    if quality is not None:
        ax = axes[1]
        ax.plot(quality[0], quality[1], color=COLORS["g"], marker="o", ms=3, lw=1.4, label="generated")
        if quality_reference is not None:
            ax.axhline(quality_reference[1], color=COLORS["real"], ls="--", lw=1, label=quality_reference[0])
        if log_quality:
            ax.set_yscale("log")
        ax.set_xlabel(unit)
        ax.set_ylabel(quality_name)
        ax.set_title("Sample quality, same run")
        ax.legend(fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# Evaluating GANs (lesson 12.1.7)
# ---------------------------------------------------------------------------
def plot_metrics_over_training(
    steps: Sequence[int], metrics: dict[str, Sequence[float]], floor: dict[str, float], label: str = "metrics_over_training", unit: str = "step"
) -> Figure:
    """Three panels over training: FID, KID and precision/recall.  ``metrics`` maps
    ``"fid"``, ``"kid"``, ``"precision"``, ``"recall"`` to one value per step;
    ``floor`` holds the same metrics for two halves of the real data (dotted lines:
    the best a generator can expect at this sample size)."""
    fig = _figure(label, figsize=(11, 3.3), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, key, name in ((axes[0], "fid", "FID (lower is better)"), (axes[1], "kid", "KID (lower is better)")):
        ax.plot(steps, metrics[key], marker="o", ms=3, lw=1.4, color=COLORS["fake"], label="generated vs real")
        ax.axhline(floor[key], color=COLORS["real"], ls=":", lw=1.2, label="real vs real")
        ax.set_yscale("log" if key == "fid" else "linear")
        ax.set_title(name, fontsize=10)
    for key, color in (("precision", COLORS["fake"]), ("recall", COLORS["g"])):
        axes[2].plot(steps, metrics[key], marker="o", ms=3, lw=1.4, color=color, label=key)
        axes[2].axhline(floor[key], color=color, ls=":", lw=1)
    axes[2].set_ylim(-0.03, 1.03)
    axes[2].set_title("precision and recall (dotted: real vs real)", fontsize=10)
    for ax in axes:
        ax.set_xlabel(unit)
        ax.legend(fontsize=8)
    return fig


def plot_metric_cases(
    cases: dict[str, torch.Tensor], scores: dict[str, dict[str, float]], label: str = "metric_cases", n: int = 8
) -> Figure:
    """One row per constructed case: ``n`` of its images on the left, its precision
    and recall as bars on the right, with FID and IS written next to them.
    ``scores[name]`` holds ``"precision"``, ``"recall"``, ``"fid"`` and ``"is"``."""
    names = list(cases)
    fig = _figure(label, figsize=(11, 0.95 * len(names) + 0.9), layout="constrained")
    grid = fig.add_gridspec(len(names), 2, width_ratios=[1.25, 1])
    for i, name in enumerate(names):
        ax = fig.add_subplot(grid[i, 0])
        ax.imshow(image_grid(cases[name][:n], n, padding=1), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    ax = fig.add_subplot(grid[:, 1])
    y = np.arange(len(names))[::-1]
    ax.barh(y + 0.18, [scores[m]["precision"] for m in names], height=0.36, color=COLORS["fake"], label="precision")
    ax.barh(y - 0.18, [scores[m]["recall"] for m in names], height=0.36, color=COLORS["g"], label="recall")
    for yi, m in zip(y, names):
        ax.text(1.03, yi, f"FID {scores[m]['fid']:.1f}   IS {scores[m]['is']:.2f}", va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 1.6)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_distance_histograms(distances: dict[str, torch.Tensor], label: str = "nearest_training_image", xlabel: str = "Euclidean distance to the nearest training image (all pixel values)") -> Figure:
    """Overlaid histograms of distances, one per named set (for example generated
    samples, held-out real images and copies of training images)."""
    fig = _figure(label, figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    top = max(float(d.max()) for d in distances.values())
    bins = np.linspace(0, top * 1.02 + 1e-9, 50)
    for name, d in distances.items():
        ax.hist(d.numpy(), bins=bins, alpha=0.55, label=f"{name} (median {d.median():.2f})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("images")
    ax.legend(fontsize=8)
    return fig


def plot_sample_size_bias(
    sizes: Sequence[int], fid: tuple[Sequence[float], Sequence[float]], kid: tuple[Sequence[float], Sequence[float]], label: str = "sample_size_bias"
) -> Figure:
    """Real vs real at growing sample sizes: FID (mean and std over repeated draws)
    on the left, KID on the right, both against the true value 0."""
    fig = _figure(label, figsize=(9, 3.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, (mean, std), name in ((axes[0], fid, "FID"), (axes[1], kid, "KID")):
        ax.errorbar(sizes, mean, yerr=std, marker="o", ms=4, capsize=3, color=COLORS["real"])
        ax.axhline(0, color="grey", lw=1, ls=":")
        ax.set_xscale("log")
        ax.set_xticks(list(sizes), [str(s) for s in sizes])
        ax.xaxis.set_minor_formatter(NullFormatter())  # no "3x10^2" between the sizes
        ax.set_xlabel("samples in each set")
        ax.set_title(f"{name} of two samples of the same real data", fontsize=10)
    return fig


# ---------------------------------------------------------------------------
# Translations and styles (lessons 12.1.8 and 12.1.9)
# ---------------------------------------------------------------------------
def _image_cell(ax: plt.Axes, image: torch.Tensor) -> None:
    ax.imshow(image_grid(image.unsqueeze(0), nrow=1, padding=0), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_image_columns(columns: dict[str, torch.Tensor], label: str, title: str = "", row_names: Sequence[str] | None = None) -> Figure:
    """A table of images: one column per entry (heading -> ``(N, C, H, W)``), row ``i``
    showing example ``i`` in every column, e.g. input | output | target for the same
    held-out pairs, or the same latent under several settings."""
    rows = max(len(images) for images in columns.values())
    fig = _figure(label, figsize=(1.15 * len(columns) + (0.8 if row_names else 0.2), 1.15 * rows + (0.9 if title else 0.5)), layout="constrained")
    axes = fig.subplots(rows, len(columns), squeeze=False)
    for c, (name, images) in enumerate(columns.items()):
        axes[0, c].set_title(name, fontsize=9)
        for r in range(rows):
            if r < len(images):
                _image_cell(axes[r, c], images[r])
            else:
                axes[r, c].axis("off")
    for r, name in enumerate(row_names or []):
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def plot_mixing_grid(coarse: torch.Tensor, fine: torch.Tensor, mixed: torch.Tensor, label: str = "style_mixing", title: str = "") -> Figure:
    """A style-mixing grid: the top row shows the sources of the fine styles, the left
    column the sources of the coarse styles, and cell ``(i, j)`` ``mixed[i * len(fine) + j]``,
    the image with coarse styles from ``coarse[i]`` and fine styles from ``fine[j]``."""
    if len(mixed) != len(coarse) * len(fine):
        raise ValueError(f"mixed must hold len(coarse) * len(fine) = {len(coarse) * len(fine)} images, got {len(mixed)}")
    fig = _figure(label, figsize=(1.1 * (len(fine) + 1) + 0.3, 1.1 * (len(coarse) + 1) + 0.8), layout="constrained")
    axes = fig.subplots(len(coarse) + 1, len(fine) + 1, squeeze=False)
    axes[0, 0].axis("off")
    axes[0, 0].text(0.5, 0.5, "coarse from row,\nfine from column", ha="center", va="center", fontsize=7, transform=axes[0, 0].transAxes)
    for j, image in enumerate(fine):
        _image_cell(axes[0, j + 1], image)
        for spine in axes[0, j + 1].spines.values():
            spine.set_color(COLORS["g"])
            spine.set_linewidth(2)
    for i, image in enumerate(coarse):
        _image_cell(axes[i + 1, 0], image)
        for spine in axes[i + 1, 0].spines.values():
            spine.set_color(COLORS["real"])
            spine.set_linewidth(2)
        for j in range(len(fine)):
            _image_cell(axes[i + 1, j + 1], mixed[i * len(fine) + j])
    if title:
        fig.suptitle(title)
    return fig
