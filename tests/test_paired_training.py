"""The paired game (pix2pix, lesson 12.1.8): G translates input images, D judges
(output, input) pairs, and the L1 term pulls G's output towards the target paired with
its input.  And the cycle game (CycleGAN): two generators and two discriminators
(each a :class:`~modules.game.games.Pair`), the same loop."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from modules.game.config import TrainConfig
from modules.game.games import Cycle, Pair, Paired, Unconditional
from modules.game.loop import GANTrainer
from modules.game.losses import LeastSquaresLoss
from modules.game.objective import Objective
from modules.game.runtime import seed_everything
from modules.game.terms import L1, CycleConsistency, Identity

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
    terms = (L1(l1_weight),) if l1_weight is not None else ()
    objective = Objective(LeastSquaresLoss(), terms=terms)
    return GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, objective=objective, game=Paired())


def test_l1_term_teaches_the_translation():
    trainer = make()
    inputs = pairs(64, torch.Generator().manual_seed(9))[1]
    before = (trainer.generate(torch.empty(64, 0), inputs) + inputs).abs().mean().item()
    trainer.fit()
    after = (trainer.generate(torch.empty(64, 0), inputs) + inputs).abs().mean().item()
    assert after < 0.25 * before, (before, after)
    (l1,) = trainer.objective.terms
    assert trainer.objective.last_terms == {"l1": l1.last}
    assert 0 <= l1.last < 0.2


def test_d_judges_outputs_next_to_their_own_inputs():
    trainer = make(steps=1)
    trainer.discriminator.seen.clear()
    trainer.d_step()
    (real, real_in), (fake, fake_in) = trainer.discriminator.seen
    assert torch.equal(real, -real_in)  # a real pair: the target next to its input
    assert torch.equal(real_in, fake_in)  # the fake is G's translation of the same inputs
    assert torch.allclose(fake, trainer.generate(torch.empty(16, 0), fake_in), atol=1e-6)


def test_l1_compares_g_output_with_the_targets_of_its_own_batch():
    """In G's step the L1 term measures the output D judged against the target paired
    with that output's input (the target of an input is its negative)."""
    trainer = make(steps=1)
    trainer.discriminator.seen.clear()
    trainer.g_step()
    (fake, inputs), = trainer.discriminator.seen
    (l1,) = trainer.objective.terms
    assert l1.last == pytest.approx((fake - (-inputs)).abs().mean().item(), rel=1e-6)
    assert l1.last != pytest.approx((fake - inputs).abs().mean().item(), rel=1e-3)  # not any other target


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
    for weight in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=">= 0"):
            L1(weight)


def test_l1_needs_the_paired_game():
    """The L1 term reads the targets only the paired game provides; under any other game
    the trainer refuses it, with one line, when it is built."""
    config = TrainConfig(num_epochs=1, batch_size=4)
    for game in (None, Unconditional(), Cycle(history=2)):
        with pytest.raises(ValueError, match="the l1 term needs the game's 'targets'") as info:
            GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, objective=Objective(terms=(L1(),)), game=game)
        assert "\n" not in str(info.value)
    GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, objective=Objective(terms=(L1(),)), game=Paired())


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


def make_cycle(steps: int = 150, cycle_weight: float = 10.0, identity_weight: float = 0.5) -> GANTrainer:
    """CycleGAN as the course builds it: least squares, the cycle term and the identity
    term (weighted as a fraction of the cycle weight), a history of 8 translations."""
    seed_everything(0)
    config = TrainConfig(num_epochs=steps, batch_size=16, lr=2e-3, snapshot_every=steps, num_snapshot_samples=5)
    terms = (CycleConsistency(cycle_weight), Identity(cycle_weight * identity_weight))
    g, d = Pair(OneWay(), OneWay(), ("ab", "ba")), Pair(Critic(), Critic(), ("a", "b"))
    return GANTrainer(g, d, unpaired, no_noise, config, objective=Objective(LeastSquaresLoss(), terms=terms), game=Cycle(history=8))


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
    assert set(trainer.objective.last_terms) == {"cycle", "identity"}
    assert trainer.objective.last_terms["cycle"] < 0.3


def test_cyclegan_snapshots_translate_fixed_a_images_to_b():
    trainer = make_cycle(steps=2)
    trainer.fit()
    assert (trainer.fixed_labels <= 0).all() and (trainer.fixed_targets >= 0).all()  # A in, B kept
    _, last = trainer.history.snapshots[-1]
    assert torch.allclose(last, trainer.generator.ab(trainer.fixed_labels).detach(), atol=1e-6)


def test_cyclegan_weights_are_checked_and_identity_zero_is_skipped():
    with pytest.raises(ValueError, match="the cycle weight must be a number >= 0"):
        make_cycle(cycle_weight=-1)
    with pytest.raises(ValueError, match="the identity weight must be a number >= 0"):
        Identity(float("nan"))
    trainer = make_cycle(steps=2, identity_weight=0.0)
    trainer.fit()
    assert trainer.objective.last_terms["identity"] == 0.0  # never computed
    with_identity = make_cycle(steps=2)
    with_identity.fit()
    assert with_identity.objective.last_terms["identity"] > 0.0
    assert with_identity.history.g_loss != trainer.history.g_loss


def test_cycle_terms_need_the_cycle_game():
    config = TrainConfig(num_epochs=1, batch_size=4)
    for term in (CycleConsistency(), Identity()):
        with pytest.raises(ValueError, match=f"the {term.name} term needs the game's 'cycle'"):
            GANTrainer(Translator(), PairCritic(), pairs, no_noise, config, objective=Objective(terms=(term,)), game=Paired())


def test_cyclegan_checkpoint_keeps_the_image_history(tmp_path):
    a = make_cycle(steps=6)
    a.fit(3)
    a.save_checkpoint(tmp_path / "c.pt")
    b = make_cycle(steps=6)
    b.load_checkpoint(tmp_path / "c.pt")
    assert len(b.game.history_a) == len(a.game.history_a) > 0
    assert len(b.game.history_b) == len(a.game.history_b) > 0
    a.fit(3)
    b.fit(3)
    assert all(torch.equal(x, y) for x, y in zip(a.generator.state_dict().values(), b.generator.state_dict().values()))
