"""Tests for modules.figures.plotting: every figure is labelled, and shows the right numbers."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from modules.data.synthetic import GaussianTarget, line_pattern_bank  # noqa: E402
from modules.figures.plotting import draw_gan_diagram, plot_1d_progress, plot_1d_results, plot_losses, plot_pattern_grid, plot_pattern_progress  # noqa: E402
from modules.game.history import History  # noqa: E402

GREEN, RED = "#2ca02c", "#d62728"


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make_history(n: int = 10) -> History:
    h = History()
    for e in range(1, n + 1):
        h.append(e, {"d_loss": 1.4 - 0.01 * e, "g_loss": 0.7 + 0.01 * e, "d_real": 0.6, "d_fake": 0.4})
    return h


def snapshots_1d(k: int) -> list[tuple[int, torch.Tensor]]:
    return [(10 * (i + 1), 4.0 + torch.randn(64, 1, generator=gen(i))) for i in range(k)]


def snapshots_patterns(k: int) -> list[tuple[int, torch.Tensor]]:
    bank = line_pattern_bank(8)
    return [(5 * (i + 1), bank[torch.arange(16) % 16]) for i in range(k)]


def mixed_fake() -> torch.Tensor:
    """8 images: 6 clean lines, then 2 of uniform noise (never clean)."""
    bank = line_pattern_bank(8)
    clean = bank[[0, 3, 8, 9, 12, 15]]
    noise = torch.rand(2, 1, 8, 8, generator=gen(1)) * 2 - 1
    return torch.cat([clean, noise])


def test_draw_gan_diagram_label():
    fig = draw_gan_diagram()
    assert isinstance(fig, Figure)
    assert fig.get_label() == "architecture"
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "Generator G" in texts and "Discriminator D" in texts


def test_plot_1d_results_label_and_panels():
    samples = 4.0 + 1.25 * torch.randn(2000, 1, generator=gen())
    fig = plot_1d_results(samples, GaussianTarget(), make_history())
    assert fig.get_label() == "training_results"
    assert len(fig.axes) == 3
    m, s = samples.double().mean().item(), samples.double().std().item()
    assert fig.axes[0].get_title() == f"Generated: mean={m:.2f}, std={s:.2f}"
    assert [ax.get_title() for ax in fig.axes[1:]] == ["Losses", "What D believes"]


def test_plot_losses_draws_equilibrium_lines():
    fig, ax = plt.subplots()
    plot_losses(ax, make_history())
    ys = {round(line.get_ydata()[0], 6) for line in ax.lines if len(set(line.get_ydata())) == 1}
    assert round(2 * math.log(2), 6) in ys and round(math.log(2), 6) in ys
    fig2, ax2 = plt.subplots()
    plot_losses(ax2, make_history(), equilibrium=False)
    assert len(ax2.lines) == 2


def test_plot_1d_progress_label_and_spread():
    snaps = snapshots_1d(10)
    fig = plot_1d_progress(snaps, GaussianTarget())
    assert fig.get_label() == "progress"
    assert len(fig.axes) == 6  # max_panels
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "epoch 10" and titles[-1] == "epoch 100"  # first and last are kept
    few = plot_1d_progress(snapshots_1d(2), GaussianTarget(), label="custom")
    assert few.get_label() == "custom"
    assert len(few.axes) == 2


def test_plot_pattern_grid_label_and_clean_share():
    real = line_pattern_bank(8)
    fig = plot_pattern_grid(real, mixed_fake())
    assert fig.get_label() == "real_vs_generated"
    title = fig._suptitle.get_text()
    assert "75% of these are clean lines" in title


def test_plot_pattern_grid_frames_clean_green_and_others_red():
    fig = plot_pattern_grid(line_pattern_bank(8), mixed_fake(), cols=8)
    axes = fig.axes
    assert len(axes) == 16  # one row of real, one row of generated
    frames = [to_hex(ax.spines["left"].get_edgecolor()) for ax in axes[8:]]
    assert frames == [GREEN] * 6 + [RED] * 2


@pytest.mark.parametrize("n_clean, n_noise, share", [(8, 0, "100%"), (0, 8, "0%"), (4, 4, "50%")])
def test_plot_pattern_grid_share_varies(n_clean, n_noise, share):
    fake = torch.cat(
        [line_pattern_bank(8)[:n_clean], torch.rand(n_noise, 1, 8, 8, generator=gen(2)) * 2 - 1]
    )
    fig = plot_pattern_grid(line_pattern_bank(8), fake)
    assert f"generated: {share} of these" in fig._suptitle.get_text()


def test_plot_pattern_progress_label_and_rows():
    fig = plot_pattern_progress(snapshots_patterns(9))
    assert fig.get_label() == "progress"
    assert len(fig.axes) == 5 * 8  # max_rows x cols
    row_labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert row_labels[0] == "epoch 5" and row_labels[-1] == "epoch 45"
    assert len(row_labels) == 5
