"""Tests for the image figures of modules.figures.plotting (lessons 12.1.2 onwards)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from modules.figures.plotting import image_grid, plot_class_grid, plot_class_shares, plot_curves, plot_image_panels, plot_image_progress, plot_nearest_neighbours, plot_strips, plot_training_curves, strip_animation  # noqa: E402
from modules.game.history import History  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_image_grid_tiles_and_maps_to_unit_range():
    images = torch.full((6, 1, 4, 4), -1.0)
    images[1] = 1.0
    grid = image_grid(images, nrow=3, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1)  # 2 rows, 3 columns of 4x4 with 1-pixel padding
    assert grid.min() == 0.0 and grid.max() == 1.0
    assert np.all(grid[1:5, 6:10] == 1.0) and np.all(grid[1:5, 1:5] == 0.0)
    colour = image_grid(torch.zeros(2, 3, 4, 4), nrow=2)
    assert colour.shape[-1] == 3


def test_every_image_figure_is_labelled():
    x = torch.rand(16, 1, 8, 8) * 2 - 1
    history = History(epoch=list(range(1, 31)), d_loss=[1.0] * 30, g_loss=[0.7] * 30, d_real=[0.6] * 30, d_fake=[0.4] * 30)
    figures = {
        "panels": plot_image_panels({"a": x, "b": x}, label="panels"),
        "progress": plot_image_progress([(0, x), (5, x), (10, x)], label="progress"),
        "curves": plot_training_curves(history, label="curves", smooth=5),
        "grid": plot_class_grid(torch.rand(20, 1, 8, 8), [str(i) for i in range(10)], label="grid"),
        "strips": plot_strips({"row": x[:5]}, label="strips"),
        "nn": plot_nearest_neighbours(x[:3], x[:6].view(3, 2, 1, 8, 8), torch.ones(3, 2), label="nn"),
        "shares": plot_class_shares(torch.full((10,), 0.1), torch.full((10,), 0.1), [str(i) for i in range(10)], label="shares"),
        "metric": plot_curves({"m": ([0, 1], [0.2, 0.1])}, label="metric"),
    }
    for label, fig in figures.items():
        assert fig.get_label() == label


def test_smoothed_curves_average_the_noise():
    noisy = [0.0, 1.0] * 20
    history = History(epoch=list(range(1, 41)), d_loss=noisy, g_loss=noisy, d_real=noisy, d_fake=noisy)
    fig = plot_training_curves(history, label="c", smooth=2)
    d_line = fig.axes[0].get_lines()[0]
    assert np.allclose(d_line.get_ydata(), 0.5) and len(d_line.get_ydata()) == 39


def test_class_grid_frames_unrecognised_images_red():
    marks = torch.ones(20, dtype=torch.bool)
    marks[3] = False
    fig = plot_class_grid(torch.rand(20, 1, 8, 8), [str(i) for i in range(10)], label="grid", marks=marks)
    frames = [to_hex(next(iter(ax.spines.values())).get_edgecolor()) for ax in fig.axes]
    assert frames.count("#d62728") == 1 and frames[3] == "#d62728"


def test_strip_animation_has_one_frame_per_step():
    frames = torch.rand(5, 4, 1, 8, 8) * 2 - 1
    anim = strip_animation(frames, label="walk", nrow=4)
    assert anim._fig.get_label() == "walk"
    html = anim.to_jshtml()
    assert html.count("data:image/png;base64") == 5


# ---------------------------------------------------------------------------
# nothing is cut off at a figure's edge (the site build refuses such a figure)


def test_outside_figure_names_a_label_that_runs_off_the_edge():
    from modules.figures.output import outside_figure

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.text(-0.4, 0.5, "a long row label", transform=ax.transAxes, ha="right")  # left of the figure
    try:
        assert outside_figure(fig) == ["text 'a long row label'"]
    finally:
        plt.close(fig)


def test_outside_figure_passes_a_figure_that_fits_and_catches_a_clipped_title():
    from modules.figures.output import outside_figure

    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.plot([0, 1], [0, 1])
    ax.set_ylabel("a label")
    ax.set_title("a title")
    try:
        assert outside_figure(fig) == []
        fig.suptitle("x" * 200)  # wider than the figure
        assert any("xxxx" in piece for piece in outside_figure(fig))
    finally:
        plt.close(fig)


def test_strips_keep_long_names_inside_the_figure():
    from modules.figures.output import outside_figure

    strips = {f"pair {i}, spherical interpolation": torch.rand(10, 1, 8, 8) * 2 - 1 for i in range(3)}
    fig = plot_strips(strips, label="t_strips", title="From the left image to the right one")
    try:
        assert outside_figure(fig) == []
        assert [ax.get_title(loc="left") for ax in fig.axes] == list(strips)
    finally:
        plt.close(fig)
