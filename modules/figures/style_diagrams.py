"""Figures for style-based generators: the StyleGAN block diagram and the
progressive-growing schedule.

* :func:`draw_stylegan_diagram` draws the block diagram of a *given*
  :class:`~modules.networks.stylegan.StyleGenerator`, read off the model itself (mapping
  layers, resolutions, channels), so the picture changes when the model does: the
  mapping network ``z -> normalise -> FC ... -> w`` on the left, the synthesis
  network from the learned 4x4 constant down to ``toRGB`` and the image on the
  right, and for every styled layer its "A" (the learned affine map from ``w`` to
  the layer's style) and "B" (per-pixel noise, scaled per channel).
* :func:`progressive_schedule` and :func:`alpha_at` describe *progressive growing*
  (Karras et al., 2018, "ProGAN"; StyleGAN v1 trained the same way): which
  resolution is trained after how many images, and how far the newest block has
  been faded in; :func:`plot_progressive_schedule` draws it.  The course's
  StyleGAN-lite does not grow: it trains at full resolution from the first step.

Every figure function returns a :class:`matplotlib.figure.Figure` labelled as in
:mod:`modules.figures.plotting`.

Introduced in lesson 12.1.9 (Style-Based Generators).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import FixedLocator, NullLocator
from torch import nn

from modules.figures.plotting import COLORS, _figure
from modules.networks.stylegan import EqualizedLinear, StyleGenerator

__all__ = [
    "draw_stylegan_diagram",
    "progressive_schedule",
    "alpha_at",
    "plot_progressive_schedule",
]

Breakpoint = tuple[int, int, float]  # (images seen, resolution, alpha of the newest block)

_FILL = {
    "latent": "#eeeeee",
    "mapping": "#dadaeb",
    "w": "#bcbddc",
    "const": "#fdd0a2",
    "synthesis": "#c7e9c0",
    "rgb": "#c6dbef",
    "image": "#fcbba1",
    "affine": "#fee391",
    "noise": "#d9d9d9",
}
_FADE = "#fdae6b"  # the shading of fade-in intervals


def _times(n: int) -> str:
    return f"{n}×{n}"


# ---------------------------------------------------------------------------
# The StyleGAN block diagram
# ---------------------------------------------------------------------------
def _mapping_layers(generator: StyleGenerator) -> list[tuple[int, int]]:
    """``(in_features, out_features)`` of every fully connected layer of the mapping network."""
    layers = [m for m in generator.mapping_network.modules() if isinstance(m, (EqualizedLinear, nn.Linear))]
    return [(int(m.weight.shape[1]), int(m.weight.shape[0])) for m in layers]


def _synthesis_layers(generator: StyleGenerator) -> list[tuple[int, int, bool]]:
    """``(resolution, out_channels, upsamples)`` of every styled layer, in order."""
    width = int(generator.const.shape[1])
    rows = []
    for res, layer in zip(generator.layer_resolutions(), generator.layers):
        channels = getattr(layer, "out_channels", None) or generator.channels_at(res, width)
        rows.append((int(res), int(channels), bool(getattr(layer, "upsample", False))))
    return rows


def draw_stylegan_diagram(generator: StyleGenerator, label: str = "architecture") -> Figure:
    """The block diagram of ``generator``, drawn from the model itself.

    Left, the mapping network: ``z`` (``z_dim``) -> normalise (pixel norm) -> one box
    per fully connected layer of ``generator.mapping_network`` -> ``w`` (``w_dim``).
    Right, the synthesis network, top to bottom: the learned constant
    ``4×4×C``, one box per styled layer ("upsample + conv (AdaIN)" for the first
    layer of a resolution, "conv (AdaIN)" for the second, each with its output
    size ``res×res×channels``), then ``toRGB`` (1x1 conv) and the image.  ``w`` runs
    down a bus to every styled layer through its "A" box (the learned affine map
    from ``w`` to the layer's style: a scale and a bias per channel); a "B" box on
    the right of every layer is its per-pixel noise input, scaled per channel by a
    learned strength.  Brackets on the far right name the style indices each
    resolution reads (what :meth:`~modules.networks.stylegan.StyleGenerator.mix` splits).
    """
    fc = _mapping_layers(generator)
    syn = _synthesis_layers(generator)
    n_map, n_syn = len(fc), len(syn)

    pitch, box_h = 0.62, 0.42  # vertical distance between rows, height of a box (inches)
    top, bottom = 1.05, 0.85  # room for the title and headers / the legend
    syn_rows = n_syn + 3  # constant, styled layers, toRGB, image
    map_rows = n_map + 3  # z, normalise, FC layers, w
    width_in = 11.2
    height_in = top + bottom + pitch * (max(syn_rows, map_rows) - 1) + box_h
    fig = _figure(label, figsize=(width_in, height_in))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width_in)
    ax.set_ylim(0, height_in)
    ax.axis("off")

    def row_y(i: int) -> float:  # the centre of row i, counted from the top
        return height_in - top - box_h / 2 - i * pitch

    def box(x: float, yc: float, w: float, text: str, color: str, h: float = box_h, fontsize: float = 10, **kw) -> None:
        ax.add_patch(FancyBboxPatch((x, yc - h / 2), w, h, boxstyle="round,pad=0.04", fc=color, ec=COLORS["ink"], lw=1.3, alpha=0.95))
        ax.text(x + w / 2, yc, text, ha="center", va="center", fontsize=fontsize, **kw)

    def arrow(p: tuple[float, float], q: tuple[float, float], color: str = COLORS["ink"], lw: float = 1.4, scale: float = 13) -> None:
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=scale, lw=lw, color=color, shrinkA=0, shrinkB=0))

    def line(xs: Sequence[float], ys: Sequence[float], color: str = COLORS["ink"], lw: float = 1.4) -> None:
        ax.plot(xs, ys, color=color, lw=lw, solid_capstyle="butt")

    # -- columns (inches from the left) ----------------------------------------
    map_x, map_w = 0.35, 2.75
    bus_x = 3.55
    a_x, a_w = 3.95, 0.5
    syn_x, syn_w = 4.95, 3.75
    b_x, b_w = 9.2, 0.5
    brace_x = 9.95

    ax.text(width_in / 2, height_in - 0.3, f"StyleGAN-lite generator: {_times(generator.image_size)} images, {n_syn} styled layers (num_ws = {n_syn})", ha="center", va="center", fontsize=12, weight="bold")
    ax.text(map_x + map_w / 2, height_in - 0.75, "mapping network f", ha="center", va="center", fontsize=11, weight="bold", color=COLORS["d"])
    ax.text(syn_x + syn_w / 2, height_in - 0.75, "synthesis network g", ha="center", va="center", fontsize=11, weight="bold", color=COLORS["g"])

    # -- mapping network ---------------------------------------------------------
    map_items = [(f"latent z ({generator.z_dim})\n~ N(0, I)", _FILL["latent"]), ("normalise (pixel norm)", _FILL["mapping"])]
    map_items += [(f"FC {i}→{o} + LeakyReLU", _FILL["mapping"]) for i, o in fc]
    map_items += [(f"w ({generator.w_dim})", _FILL["w"])]
    for i, (text, color) in enumerate(map_items):
        box(map_x, row_y(i), map_w, text, color, weight="bold" if i == len(map_items) - 1 else "normal")
        if i:
            arrow((map_x + map_w / 2, row_y(i - 1) - box_h / 2 - 0.05), (map_x + map_w / 2, row_y(i) + box_h / 2 + 0.05))
    w_y = row_y(len(map_items) - 1)

    # -- w bus: from w to every styled layer ----------------------------------------
    style_ys = [row_y(1 + k) for k in range(n_syn)]
    line([map_x + map_w + 0.05, bus_x], [w_y, w_y], color=COLORS["d"], lw=2)
    line([bus_x, bus_x], [min(style_ys + [w_y]), max(style_ys + [w_y])], color=COLORS["d"], lw=2)
    ax.plot([bus_x], [w_y], "o", color=COLORS["d"], ms=6)  # where w joins the bus

    # -- synthesis network -------------------------------------------------------
    cx = syn_x + syn_w / 2
    c0 = int(generator.const.shape[1])
    box(syn_x, row_y(0), syn_w, f"learned constant {_times(4)}×{c0}", _FILL["const"])
    for k, (res, ch, up) in enumerate(syn):
        y = style_ys[k]
        kind = "upsample + conv (AdaIN)" if up else "conv (AdaIN)"
        box(syn_x, y, syn_w, f"{kind}  →  {_times(res)}×{ch}", _FILL["synthesis"])
        arrow((cx, y + pitch - box_h / 2 - 0.04), (cx, y + box_h / 2 + 0.04))  # from the row above
        # w -> A -> layer
        arrow((bus_x, y), (a_x - 0.05, y), color=COLORS["d"])
        box(a_x, y, a_w, "A", _FILL["affine"], h=0.3, weight="bold")
        arrow((a_x + a_w + 0.05, y), (syn_x - 0.06, y), color=COLORS["d"])
        # B (noise) -> layer
        box(b_x, y, b_w, "B", _FILL["noise"], h=0.3, weight="bold")
        arrow((b_x - 0.05, y), (syn_x + syn_w + 0.06, y), color="#636363")
    rgb_y, img_y = row_y(n_syn + 1), row_y(n_syn + 2)
    out = f"{_times(generator.image_size)}×{generator.channels}"
    box(syn_x, rgb_y, syn_w, "toRGB (1×1 conv) + tanh", _FILL["rgb"])
    box(syn_x + 0.6, img_y, syn_w - 1.2, f"image {out}", _FILL["image"], weight="bold")
    for y in (rgb_y, img_y):
        arrow((cx, y + pitch - box_h / 2 - 0.04), (cx, y + box_h / 2 + 0.04))
    ax.text(b_x + b_w / 2, row_y(0), "noise", ha="center", va="center", fontsize=9, color="#636363")

    # -- which style indices each resolution reads -----------------------------------
    groups: dict[int, list[int]] = {}
    for k, (res, _, _) in enumerate(syn):
        groups.setdefault(res, []).append(k)
    for res, ks in groups.items():
        y0, y1 = style_ys[ks[-1]] - 0.17, style_ys[ks[0]] + 0.17
        line([brace_x, brace_x + 0.1, brace_x + 0.1, brace_x], [y1, y1, y0, y0], color=COLORS["ink"], lw=1.0)
        idx = f"style {ks[0]}" if len(ks) == 1 else f"styles {ks[0]}–{ks[-1]}"
        ax.text(brace_x + 0.2, (y0 + y1) / 2, idx, ha="left", va="center", fontsize=9)

    legend = (
        "A: learned affine map from w to the layer's style (a scale and a bias per channel, used by AdaIN)\n"
        "B: a per-pixel noise map added to the layer, scaled per channel by a learned strength"
    )
    ax.text(0.35, 0.45, legend, ha="left", va="center", fontsize=9, linespacing=1.5)
    return fig


# ---------------------------------------------------------------------------
# Progressive growing
# ---------------------------------------------------------------------------
def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer number of images (got {value!r})")
    return int(value)


def progressive_schedule(resolutions: Sequence[int], phase_images: int, fade_images: int | None = None) -> list[Breakpoint]:
    """The progressive-growing schedule of ProGAN (Karras et al., 2018) as breakpoints.

    Training starts at ``resolutions[0]`` and trains it for ``phase_images`` images.
    Every later resolution is then entered in two phases:

    1. **fade-in**, ``fade_images`` images: the new block's output is blended with
       the 2x upsampled output of the previous resolution,
       ``alpha * new + (1 - alpha) * upsample(old)``, with ``alpha`` rising linearly
       from 0 to 1;
    2. **stabilisation**, ``phase_images`` images at ``alpha = 1``.

    ``fade_images=None`` means ``fade_images = phase_images``: every resolution after
    the first takes ``2 * phase_images`` images, the first half fading, the second
    stabilising (ProGAN's recipe, with 800k images per phase in the paper; the released code defaults to 600k).
    In all, ``phase_images + (len(resolutions) - 1) * (fade_images + phase_images)``
    images, ``phase_images * (2 * len(resolutions) - 1)`` with the default.

    Returns ``(images_seen, resolution, alpha)`` breakpoints, ready to plot: the
    first resolution gives ``(0, r0, 1.0)`` and ``(phase_images, r0, 1.0)`` (no
    block is being faded in: alpha is 1); every later one gives the start of its
    fade ``(t, r, 0.0)``, the end of the fade ``(t + fade, r, 1.0)`` and the end of its
    stabilisation ``(t + fade + phase, r, 1.0)``.  The start of a fade has the same
    ``images_seen`` as the end of the previous phase, so the list draws the jumps
    as vertical lines.  ``images_seen`` never decreases; alpha between two
    breakpoints of one resolution is linear (:func:`alpha_at`).

    ``resolutions`` must be powers of two, each twice the one before (a new block
    doubles the size); counts must be positive integers.
    """
    res = list(resolutions)
    if not res:
        raise ValueError("resolutions must hold at least one resolution")
    for r in res:
        if not isinstance(r, int) or isinstance(r, bool) or r < 1 or r & (r - 1):
            raise ValueError(f"resolutions must be powers of two (4, 8, 16, ...), got {r!r} in {res}")
    for a, b in zip(res, res[1:]):
        if b <= a:
            raise ValueError(f"resolutions must be strictly increasing, got {b} after {a} in {res}")
        if b != 2 * a:
            raise ValueError(f"each resolution must double the one before (a new block upsamples 2x), got {b} after {a} in {res}")
    phase = _positive_int("phase_images", phase_images)
    fade = phase if fade_images is None else _positive_int("fade_images", fade_images)

    points: list[Breakpoint] = [(0, res[0], 1.0), (phase, res[0], 1.0)]
    t = phase
    for r in res[1:]:
        points += [(t, r, 0.0), (t + fade, r, 1.0), (t + fade + phase, r, 1.0)]
        t += fade + phase
    return points


def alpha_at(schedule: Sequence[Breakpoint], images_seen: float) -> tuple[int, float]:
    """``(resolution, alpha)`` after ``images_seen`` images of a :func:`progressive_schedule`.

    Within a fade alpha is interpolated linearly between the fade's breakpoints.  At
    a phase boundary the later phase counts: exactly at the start of a fade the
    answer is the new resolution with ``alpha = 0``.  After the end of the schedule
    training goes on at the last resolution with ``alpha = 1``.
    """
    points = list(schedule)
    if not points:
        raise ValueError("the schedule is empty")
    t = float(images_seen)
    if not math.isfinite(t) or t < points[0][0]:
        raise ValueError(f"images_seen must be a finite number from {points[0][0]} on (got {images_seen!r})")
    if t >= points[-1][0]:
        return points[-1][1], 1.0
    i = bisect.bisect_right([p[0] for p in points], t) - 1  # the last breakpoint at or before t
    (t0, r0, a0), (t1, r1, a1) = points[i], points[i + 1]
    if r1 != r0 or t1 == t0:  # the next breakpoint opens another phase: hold this one's alpha
        return r0, float(a0)
    return r0, float(a0 + (a1 - a0) * (t - t0) / (t1 - t0))


def plot_progressive_schedule(resolutions: Sequence[int], phase_images: int, fade_images: int | None = None, label: str = "progressive_growing") -> Figure:
    """Progressive growing over training: two stacked panels sharing the x axis
    (images seen, in thousands).

    Top, the resolution being trained (a step plot on a log2 axis labelled 4×4,
    8×8, ...), with every fade-in shaded and marked "fade in".  Bottom, alpha of the
    newest block: 1 while the first resolution trains, then a linear ramp from 0 to
    1 during each fade-in and 1 while the new resolution stabilises.  Arguments as
    in :func:`progressive_schedule`.
    """
    points = progressive_schedule(resolutions, phase_images, fade_images)
    res = list(resolutions)
    xs = [p[0] / 1000 for p in points]
    fig = _figure(label, figsize=(9, 5.6))
    ax_res, ax_alpha = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2], "hspace": 0.22, "left": 0.14, "right": 0.97})

    fades = [(points[i][0] / 1000, points[i + 1][0] / 1000, points[i][1]) for i in range(2, len(points), 3)]
    span = xs[-1] - xs[0]
    for x0, x1, r in fades:
        for ax in (ax_res, ax_alpha):
            ax.axvspan(x0, x1, color=_FADE, alpha=0.3, lw=0)
    ax_res.plot(xs, [p[1] for p in points], color=COLORS["g"], lw=2)
    ax_res.set_yscale("log", base=2)
    ax_res.set_ylim(res[0] / 1.6, res[-1] * 1.6)
    ax_res.yaxis.set_major_locator(FixedLocator(res))
    ax_res.yaxis.set_minor_locator(NullLocator())
    ax_res.set_yticklabels([_times(r) for r in res])
    ax_res.set_ylabel("resolution trained")
    lo, hi = ax_res.get_ylim()
    horizontal = (fades[0][1] - fades[0][0]) / span > 0.09 if fades else True
    for x0, x1, r in fades:
        # inside the fade the only line is the new resolution's, at r: write above it
        # or below it, wherever the shaded band has more room
        above = math.log2(hi / r) > math.log2(r / lo)
        text = f"fade in\n→ {_times(r)}" if horizontal else "fade in"
        ax_res.text(
            (x0 + x1) / 2, r * 1.2 if above else r / 1.2, text, ha="center", va="bottom" if above else "top",
            fontsize=9 if horizontal else 8, rotation=0 if horizontal else 90, color="#a63603",
        )
    ax_res.grid(axis="y", alpha=0.3)

    ax_alpha.plot(xs, [p[2] for p in points], color=COLORS["d"], lw=2)
    ax_alpha.set_ylim(-0.08, 1.12)
    ax_alpha.set_yticks([0, 0.5, 1])
    ax_alpha.set_ylabel("alpha of the newest block")
    ax_alpha.set_xlabel("images seen (thousands)")
    ax_alpha.set_xlim(xs[0], xs[-1])
    ax_alpha.grid(axis="y", alpha=0.3)
    ax_alpha.set_title("during a fade-in: output = alpha · new block + (1 − alpha) · upsampled old output", fontsize=9)

    fade = phase_images if fade_images is None else fade_images
    fig.suptitle(
        f"Progressive growing, the recipe of ProGAN (Karras et al., 2018) that StyleGAN v1 also used\n"
        f"{phase_images:,} images per phase, fade-ins of {fade:,}; the course's StyleGAN-lite trains at full resolution from the start",
        fontsize=10,
    )
    return fig
