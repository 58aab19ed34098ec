"""Tests for modules.figures.style_diagrams: the StyleGAN diagram follows the model it is
given, and the progressive-growing schedule fades and stabilises as documented."""

from __future__ import annotations

import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from modules.figures.style_diagrams import alpha_at, draw_stylegan_diagram, plot_progressive_schedule, progressive_schedule  # noqa: E402
from modules.networks.stylegan import StyleGenerator  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def layer_texts(fig: Figure) -> list[str]:
    return [t for t in texts(fig) if "conv (AdaIN)" in t]


def size_pattern(r: int) -> re.Pattern:
    return re.compile(rf"(?<!\d){r}×{r}×")


def tiny(image_size: int = 16, **kw) -> StyleGenerator:
    return StyleGenerator(image_size=image_size, width=16, seed=0, **kw)


# ---------------------------------------------------------------------------
# draw_stylegan_diagram
# ---------------------------------------------------------------------------
def test_diagram_has_one_box_per_styled_layer_with_its_resolution_and_channels():
    g = tiny(16)
    fig = draw_stylegan_diagram(g, label="stylegan_arch")
    assert isinstance(fig, Figure) and fig.get_label() == "stylegan_arch"
    layers = layer_texts(fig)
    assert len(layers) == g.num_ws == 6
    resolutions = g.layer_resolutions()
    for r in set(resolutions):
        mentioning = [t for t in layers if size_pattern(r).search(t)]
        assert len(mentioning) == resolutions.count(r) == 2, (r, layers)
        assert all(t.endswith(f"{r}×{r}×{g.channels_at(r, 16)}") for t in mentioning)
    # the first layer of every resolution but 4x4 upsamples, the others do not
    assert [t.startswith("upsample") for t in layers] == [False, False, True, False, True, False]
    # one A (affine map to the style) and one B (noise) per styled layer
    assert texts(fig).count("A") == g.num_ws
    assert texts(fig).count("B") == g.num_ws
    assert any("learned constant 4×4×16" in t for t in texts(fig))
    assert any("toRGB" in t and "1×1 conv" in t for t in texts(fig))
    assert "image 16×16×1" in texts(fig)


@pytest.mark.parametrize("mapping_layers", [2, 4, 7])
def test_diagram_draws_as_many_mapping_layers_as_the_generator_has(mapping_layers):
    g = StyleGenerator(image_size=16, width=16, z_dim=12, w_dim=20, mapping_layers=mapping_layers, seed=0)
    fc = [t for t in texts(draw_stylegan_diagram(g)) if t.startswith("FC ")]
    assert len(fc) == mapping_layers
    assert fc[0].startswith("FC 12→20") and all(t.startswith("FC 20→20") for t in fc[1:])
    all_texts = texts(plt.gcf())
    assert "latent z (12)\n~ N(0, I)" in all_texts and "w (20)" in all_texts


def test_diagram_follows_the_model_16_vs_32():
    small, large = tiny(16), tiny(32)
    fig16, fig32 = draw_stylegan_diagram(small), draw_stylegan_diagram(large)
    assert len(layer_texts(fig16)) == 6 and len(layer_texts(fig32)) == 8
    assert not any(size_pattern(32).search(t) for t in layer_texts(fig16))
    assert sum(bool(size_pattern(32).search(t)) for t in layer_texts(fig32)) == 2
    assert fig32.get_figheight() > fig16.get_figheight()  # room for the extra rows
    assert "styles 6–7" in texts(fig32) and "styles 6–7" not in texts(fig16)


@pytest.mark.parametrize("image_size", [16, 32])
def test_diagram_text_is_readable_and_never_overlaps(image_size):
    fig = draw_stylegan_diagram(tiny(image_size) if image_size == 16 else StyleGenerator(image_size=32, seed=0))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    shown = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible()]
    assert all(t.get_fontsize() >= 8 for t in shown)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in shown]
    fig_box = fig.bbox
    for text, box in boxes:  # everything inside the figure
        assert box.x0 >= fig_box.x0 - 0.5 and box.x1 <= fig_box.x1 + 0.5 and box.y0 >= fig_box.y0 - 0.5 and box.y1 <= fig_box.y1 + 0.5, text
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), (a, b)


# ---------------------------------------------------------------------------
# progressive_schedule and alpha_at
# ---------------------------------------------------------------------------
def test_schedule_breakpoints_with_the_default_fade():
    assert progressive_schedule([4, 8, 16], 100) == [
        (0, 4, 1.0), (100, 4, 1.0),
        (100, 8, 0.0), (200, 8, 1.0), (300, 8, 1.0),
        (300, 16, 0.0), (400, 16, 1.0), (500, 16, 1.0),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("resolutions", "phase", "fade"),
    [([4, 8, 16, 32], 800, None), ([4, 8, 16, 32, 64], 600, 300), ([8, 16], 50, 125), ([4], 10, None)],
)
def test_schedule_properties(resolutions, phase, fade):
    s = progressive_schedule(resolutions, phase, fade)
    f = phase if fade is None else fade
    images = [p[0] for p in s]
    res = [p[1] for p in s]
    assert images == sorted(images) and images[0] == 0
    assert res == sorted(res) and res[0] == resolutions[0] and res[-1] == resolutions[-1]
    assert s[-1][2] == 1.0  # training ends with every block fully faded in
    assert images[-1] == phase + (len(resolutions) - 1) * (f + phase)
    if fade is None:
        assert images[-1] == phase * (2 * len(resolutions) - 1)
    # each later resolution: fade from alpha 0 to 1 over `f` images, then `phase` at alpha 1
    for r in resolutions[1:]:
        own = [p for p in s if p[1] == r]
        assert [p[2] for p in own] == [0.0, 1.0, 1.0]
        assert own[1][0] - own[0][0] == f and own[2][0] - own[1][0] == phase
    first = [p for p in s if p[1] == resolutions[0]]
    assert first == [(0, resolutions[0], 1.0), (phase, resolutions[0], 1.0)]


def test_alpha_at_interpolates_within_fades():
    s = progressive_schedule([4, 8, 16, 32], 1000)
    assert alpha_at(s, 0) == (4, 1.0) and alpha_at(s, 999) == (4, 1.0)
    for start, r in [(1000, 8), (3000, 16), (5000, 32)]:  # fades start here, 1000 images each
        assert alpha_at(s, start) == (r, 0.0)
        assert alpha_at(s, start + 500) == (r, pytest.approx(0.5))
        assert alpha_at(s, start + 250) == (r, pytest.approx(0.25))
        assert alpha_at(s, start + 1000) == (r, 1.0)
        assert alpha_at(s, start + 1999) == (r, 1.0)  # stabilising
    assert alpha_at(s, 7000) == (32, 1.0)  # the end
    assert alpha_at(s, 10**6) == (32, 1.0)  # training may go on at full resolution
    uneven = progressive_schedule([4, 8], 100, fade_images=40)
    assert alpha_at(uneven, 120) == (8, pytest.approx(0.5))
    with pytest.raises(ValueError, match="images_seen"):
        alpha_at(s, -1)


@pytest.mark.parametrize(
    ("resolutions", "phase", "fade", "match"),
    [
        ([4, 6, 12], 100, None, "powers of two"),
        ([4, 8, 24], 100, None, "powers of two"),
        ([16, 8, 4], 100, None, "strictly increasing"),
        ([4, 4, 8], 100, None, "strictly increasing"),
        ([4, 16], 100, None, "double"),
        ([], 100, None, "at least one"),
        ([4, 8.0], 100, None, "powers of two"),
        ([4, 8], 0, None, "phase_images"),
        ([4, 8], -10, None, "phase_images"),
        ([4, 8], 1.5, None, "phase_images"),
        ([4, 8], True, None, "phase_images"),
        ([4, 8], 100, 0, "fade_images"),
    ],
)
def test_schedule_rejects_bad_input_with_a_one_line_message(resolutions, phase, fade, match):
    with pytest.raises(ValueError, match=match) as info:
        progressive_schedule(resolutions, phase, fade)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=match):
        plot_progressive_schedule(resolutions, phase, fade)


# ---------------------------------------------------------------------------
# plot_progressive_schedule
# ---------------------------------------------------------------------------
def test_plot_progressive_schedule():
    fig = plot_progressive_schedule([4, 8, 16, 32], 800_000, label="growing")
    assert fig.get_label() == "growing"
    top, bottom = fig.axes
    assert len(fig.axes) == 2
    assert top.get_shared_x_axes().joined(top, bottom)
    assert [t.get_text() for t in top.get_yticklabels()] == ["4×4", "8×8", "16×16", "32×32"]
    assert top.get_yscale() == "log"
    assert sum(t.get_text().startswith("fade in") for t in top.texts) == 3
    assert "thousands" in bottom.get_xlabel()
    (res_line,), (alpha_line,) = top.get_lines(), bottom.get_lines()
    assert max(res_line.get_xdata()) == pytest.approx(7 * 800)  # 7 phases of 800k images, in thousands
    assert list(res_line.get_ydata()) == [4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32]
    assert list(alpha_line.get_ydata()) == [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1]
    title = fig._suptitle.get_text()
    assert "ProGAN" in title and "StyleGAN v1" in title and "full resolution" in title


def test_plot_with_many_resolutions_keeps_the_fade_labels_apart():
    fig = plot_progressive_schedule([4, 8, 16, 32, 64, 128, 256, 512, 1024], 600_000, 300_000)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if t.get_text().startswith("fade in")]
    assert len(labels) == 8
    for a, b in itertools.combinations(labels, 2):
        assert not a.get_window_extent(renderer).overlaps(b.get_window_extent(renderer))
