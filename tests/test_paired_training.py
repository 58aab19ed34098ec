"""The trainer's paired mode (pix2pix, lesson 12.1.8): G translates input images, D
judges (output, input) pairs, and the L1 term pulls G's output towards the target
paired with its input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from modules.losses import L1Reconstruction, LeastSquaresLoss
from modules.training import CycleGANTrainer, GANTrainer, TrainConfig, seed_everything

pytestmark = pytest.mark.usefixtures("one_thread")


def pairs(n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(targets, inputs): the target of an input is its negative, a rule G can learn."""
    inputs = torch.rand(n, 1, 4, 4, generator=generator) * 2 - 1
    return -inputs, inputs


def no_noise(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    return torch.empty(n, 0)


class Translator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1), nn.Tanh())

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PairCritic(nn.Module):
    """Sees the output and the input side by side (two channels), like pix2pix's D."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 3, padding=1))
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        self.seen.append((x.detach(), inputs.detach()))
        return self.net(torch.cat([inputs, x], dim=1))


def make(l1_weight: float = 100.0, steps: int = 200, **cfg) -> GANTrainer:
    seed_everything(0)
    config = TrainConfig(num_epochs=steps, batch_size=16, lr=2e-3, snapshot_every=steps, num_snapshot_samples=6, **cfg)
    tricks = [L1Reconstruction(l1_weight)] if l1_weight is not None else []
    return GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, loss=LeastSquaresLoss(), tricks=tricks, paired=True)


def test_l1_term_teaches_the_translation():
    trainer = make()
    inputs = pairs(64, torch.Generator().manual_seed(9))[1]
    before = (trainer.generate(torch.empty(64, 0), inputs) + inputs).abs().mean().item()
    trainer.fit()
    after = (trainer.generate(torch.empty(64, 0), inputs) + inputs).abs().mean().item()
    assert after < 0.25 * before, (before, after)
    assert trainer.tricks[0].last_l1 is not None and trainer.tricks[0].last_l1 < 0.2


def test_d_judges_outputs_next_to_their_own_inputs():
    trainer = make(steps=1)
    trainer.discriminator.seen.clear()
    trainer.d_step()
    (real, real_in), (fake, fake_in) = trainer.discriminator.seen
    assert torch.equal(real, -real_in)  # a real pair: the target next to its input
    assert torch.equal(real_in, fake_in)  # the fake is G's translation of the same inputs
    assert torch.allclose(fake, trainer.generate(torch.empty(16, 0), fake_in), atol=1e-6)


def test_g_step_keeps_the_targets_of_its_batch():
    trainer = make(steps=1)
    trainer.discriminator.seen.clear()
    trainer.g_step()
    (_, inputs), = trainer.discriminator.seen
    assert torch.equal(trainer.g_targets, -inputs)


def test_snapshots_translate_a_fixed_batch_whose_targets_are_kept():
    trainer = make(steps=3)
    trainer.fit()
    assert trainer.fixed_labels.shape == (6, 1, 4, 4)
    assert torch.equal(trainer.fixed_targets, -trainer.fixed_labels)
    (_, first), (_, last) = trainer.history.snapshots
    assert first.shape == last.shape == (6, 1, 4, 4)


def test_l1_weight_zero_adds_nothing_and_bad_weights_are_refused():
    a, b = make(l1_weight=0.0, steps=5), make(l1_weight=None, steps=5)
    assert a.fit().as_dict() == b.fit().as_dict()
    with pytest.raises(ValueError, match=">= 0"):
        L1Reconstruction(-1)


def test_l1_needs_paired_data_and_paired_excludes_labels():
    config = TrainConfig(num_epochs=1, batch_size=4)
    with pytest.raises(ValueError, match="paired=True"):
        GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, tricks=[L1Reconstruction()])
    with pytest.raises(ValueError, match="not both"):
        GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, num_classes=10, paired=True)


# --------------------------------------------------------------------------------------
# CycleGAN: two generators, two discriminators, the same loop
# --------------------------------------------------------------------------------------
def unpaired(n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Domain A: images in [-1, 0]; domain B: images in [0, 1]; independent draws."""
    a = -torch.rand(n, 1, 4, 4, generator=generator)
    b = torch.rand(n, 1, 4, 4, generator=generator)
    return a, b


class Critic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class OneWay(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def make_cycle(steps: int = 150, **kw) -> CycleGANTrainer:
    seed_everything(0)
    config = TrainConfig(num_epochs=steps, batch_size=16, lr=2e-3, snapshot_every=steps, num_snapshot_samples=5)
    return CycleGANTrainer(OneWay(), OneWay(), Critic(), Critic(), unpaired, config, history=8, **kw)


def test_cyclegan_learns_both_directions_and_the_round_trip():
    trainer = make_cycle()
    a, b = unpaired(64, torch.Generator().manual_seed(5))
    g = trainer.generator
    with torch.no_grad():
        untrained = (g.ba(g.ab(a)) - a).abs().mean()
    trainer.fit()
    with torch.no_grad():
        to_b, to_a = g.ab(a), g.ba(b)
        assert (to_b > 0).float().mean() > 0.85 and (to_a < 0).float().mean() > 0.85  # landed in the other domain
        round_trip = (g.ba(to_b) - a).abs().mean()
        assert round_trip < 0.2 and round_trip < 0.5 * untrained, (round_trip, untrained)  # and came back
    assert set(trainer.last_terms) == {"adversarial", "cycle", "identity"}
    assert trainer.last_terms["cycle"] < 0.3


def test_cyclegan_snapshots_translate_fixed_a_images_to_b():
    trainer = make_cycle(steps=2)
    trainer.fit()
    assert (trainer.fixed_labels <= 0).all() and (trainer.fixed_targets >= 0).all()  # A in, B kept
    _, last = trainer.history.snapshots[-1]
    assert torch.allclose(last, trainer.generator.ab(trainer.fixed_labels).detach(), atol=1e-6)


def test_cyclegan_weights_are_checked_and_identity_zero_is_skipped():
    with pytest.raises(ValueError, match="cycle_weight"):
        make_cycle(cycle_weight=-1)
    trainer = make_cycle(steps=2, identity_weight=0.0)
    trainer.fit()
    assert trainer.last_terms["identity"] == 0.0


def test_cyclegan_checkpoint_keeps_the_image_history(tmp_path):
    a = make_cycle(steps=6)
    a.fit(3)
    a.save_checkpoint(tmp_path / "c.pt")
    b = make_cycle(steps=6)
    b.load_checkpoint(tmp_path / "c.pt")
    assert len(b.history_a) == len(a.history_a) > 0
    a.fit(3)
    b.fit(3)
    assert all(torch.equal(x, y) for x, y in zip(a.generator.state_dict().values(), b.generator.state_dict().values()))
