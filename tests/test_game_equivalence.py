"""While the trainer moves to modules.game: the new loop gives the old trainer's runs,
number for number (same seed, same machine), for every game, loss, term and trick."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
import torch.nn.functional as F

from legacy import losses as old_losses
from legacy import tricks as old_tricks
from modules.game import tricks as new_tricks
from modules.game.games import Conditional, Cycle, Pair, Paired, Unconditional
from modules.game.loop import GANTrainer as Trainer
from modules.game.objective import Objective, named_objective
from modules.game.terms import L1, CycleConsistency, Identity
from legacy.training import CycleGANTrainer, GANTrainer, TrainConfig, _no_noise


class Net(nn.Module):
    """A tiny MLP with an optional condition: a class label or a 2-D input."""

    def __init__(self, n_in: int, n_out: int, cond: str | None = None) -> None:
        super().__init__()
        self.cond = cond
        extra = {None: 0, "label": 3, "image": 2}[cond]
        self.body = nn.Sequential(nn.Linear(n_in + extra, 16), nn.LeakyReLU(0.2))
        self.out = nn.Linear(16, n_out)

    def features(self, x, c=None):
        if self.cond == "label":
            x = torch.cat([x, F.one_hot(c, 3).float()], 1)
        elif self.cond == "image":
            x = torch.cat([x, c], 1)
        return self.body(x)

    def forward(self, x, c=None):
        return self.out(self.features(x, c))


def real(n, generator=None):
    return torch.randn(n, 2, generator=generator) * 0.5 + 2


def labelled(n, generator=None):
    y = torch.randint(3, (n,), generator=generator)
    return torch.randn(n, 2, generator=generator) * 0.1 + y[:, None].float(), y


def pairs(n, generator=None):
    x = torch.randn(n, 2, generator=generator)
    return x.flip(1) * 2, x


def noise(n, generator=None):
    return torch.randn(n, 4, generator=generator)


CONFIG = dict(num_epochs=12, batch_size=16, lr=1e-3, snapshot_every=4, num_snapshot_samples=8)

# name -> (old loss, new objective)
LOSSES = {
    "non_saturating": (lambda: old_losses.NonSaturatingLoss(), lambda: named_objective("non_saturating")),
    "minimax": (lambda: old_losses.MinimaxLoss(), lambda: named_objective("minimax")),
    "lsgan": (lambda: old_losses.LeastSquaresLoss(), lambda: named_objective("lsgan")),
    "hinge": (lambda: old_losses.HingeLoss(), lambda: named_objective("hinge")),
    "wgan": (lambda: old_losses.WassersteinLoss(clip=0.05), lambda: named_objective("wgan", clip=0.05)),
    "wgan_gp": (lambda: old_losses.WassersteinGPLoss(2.0), lambda: named_objective("wgan_gp", penalty_weight=2.0)),
}
TRICKS = ["label_smoothing", "noisy_labels", "instance_noise", "spectral_norm", "ttur", "feature_matching", "gradient_clipping", "unrolled"]


def run_pair(old_kwargs, new_kwargs, g, d, sampler, config):
    torch.manual_seed(0)
    old = GANTrainer(copy.deepcopy(g), copy.deepcopy(d), sampler, noise, config, **old_kwargs)
    old.fit()
    torch.manual_seed(0)
    new = Trainer(copy.deepcopy(g), copy.deepcopy(d), sampler, noise, config, **new_kwargs)
    new.fit()
    return old, new


def assert_same(old, new):
    assert old.history.as_dict() == new.history.as_dict()
    assert [e for e, _ in old.history.snapshots] == [e for e, _ in new.history.snapshots]
    for (_, a), (_, b) in zip(old.history.snapshots, new.history.snapshots):
        assert torch.equal(a, b)
    for a, b in zip(old.generator.state_dict().values(), new.generator.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(old.discriminator.state_dict().values(), new.discriminator.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("d_steps", [1, 3])
def test_losses_give_the_old_runs(loss, d_steps):
    torch.manual_seed(1)
    g, d = Net(4, 2), Net(2, 1)
    config = TrainConfig(**CONFIG, d_steps=d_steps, lr_decay="linear", ema_decay=0.9)
    old_loss, objective = LOSSES[loss]
    old, new = run_pair({"loss": old_loss()}, {"objective": objective()}, g, d, real, config)
    assert_same(old, new)
    assert torch.equal(list(old.ema_generator.parameters())[0], list(new.ema_generator.parameters())[0])


@pytest.mark.parametrize("trick", TRICKS)
def test_tricks_give_the_old_runs(trick):
    torch.manual_seed(1)
    g, d = Net(4, 2), Net(2, 1)
    config = TrainConfig(**CONFIG)
    old, new = run_pair({"tricks": old_tricks.make_tricks([trick])}, {"tricks": new_tricks.make_tricks([trick])}, g, d, real, config)
    assert_same(old, new)


@pytest.mark.parametrize("trick", [None, "label_smoothing", "feature_matching"])
def test_the_conditional_game_gives_the_old_runs(trick):
    torch.manual_seed(2)
    g, d = Net(4, 2, "label"), Net(2, 1, "label")
    names = [trick] if trick else []
    old, new = run_pair(
        {"num_classes": 3, "tricks": old_tricks.make_tricks(names)},
        {"game": Conditional(3), "tricks": new_tricks.make_tricks(names)},
        g, d, labelled, TrainConfig(**CONFIG),
    )
    assert_same(old, new)
    assert torch.equal(old.fixed_labels, new.fixed_labels)


def test_the_paired_game_with_l1_gives_the_old_runs():
    torch.manual_seed(3)
    g, d = Net(4, 2, "image"), Net(2, 1, "image")
    old, new = run_pair(
        {"paired": True, "tricks": [old_losses.L1Reconstruction(10.0)]},
        {"game": Paired(), "objective": Objective(terms=(L1(10.0),))},
        g, d, pairs, TrainConfig(**CONFIG),
    )
    assert_same(old, new)
    assert torch.equal(old.fixed_targets, new.fixed_targets)


@pytest.mark.parametrize("identity", [0.0, 0.5])
def test_the_cycle_game_gives_the_old_runs(identity):
    torch.manual_seed(4)
    nets = [nn.Linear(2, 2), nn.Linear(2, 2), Net(2, 1), Net(2, 1)]
    config = TrainConfig(**CONFIG)
    torch.manual_seed(0)
    old = CycleGANTrainer(*copy.deepcopy(nets), pairs, config, cycle_weight=10.0, identity_weight=identity, history=4)
    old.fit()
    torch.manual_seed(0)
    g_ab, g_ba, d_a, d_b = copy.deepcopy(nets)
    terms = (CycleConsistency(10.0), Identity(10.0 * identity))
    new = Trainer(
        Pair(g_ab, g_ba, ("ab", "ba")), Pair(d_a, d_b, ("a", "b")), pairs, _no_noise, config,
        objective=named_objective("lsgan").with_parts(terms=terms), game=Cycle(history=4, seed=config.seed),
    )
    new.fit()
    assert_same(old, new)
    assert old.last_terms["cycle"] == new.objective.last_terms["cycle"]


def test_a_term_the_game_cannot_feed_is_refused():
    with pytest.raises(ValueError, match="the l1 term needs the game's 'targets'"):
        Trainer(Net(4, 2), Net(2, 1), real, noise, TrainConfig(**CONFIG), objective=Objective(terms=(L1(),)))


def test_the_gradient_penalty_acts_under_the_cycle_game():
    """The old CycleGANTrainer dropped a WGAN-GP loss's penalty; here it is a term of D's phase."""
    from modules.game.terms import GradientPenalty

    torch.manual_seed(5)
    gp = GradientPenalty(10.0)
    trainer = Trainer(
        Pair(nn.Linear(2, 2), nn.Linear(2, 2), ("ab", "ba")), Pair(Net(2, 1), Net(2, 1), ("a", "b")), pairs, _no_noise,
        TrainConfig(**CONFIG), objective=named_objective("wgan_gp").with_parts(terms=(gp, CycleConsistency(10.0))), game=Cycle(history=4),
    )
    trainer.fit(2)
    assert gp.last == gp.last and gp.last > 0


@pytest.mark.parametrize("game", ["unconditional", "cycle"])
def test_a_resumed_run_is_the_uninterrupted_run(tmp_path, game):
    def make():
        torch.manual_seed(6)
        if game == "cycle":
            return Trainer(
                Pair(nn.Linear(2, 2), nn.Linear(2, 2), ("ab", "ba")), Pair(Net(2, 1), Net(2, 1), ("a", "b")), pairs, _no_noise,
                TrainConfig(**CONFIG, ema_decay=0.9), objective=named_objective("lsgan").with_parts(terms=(CycleConsistency(10.0),)),
                game=Cycle(history=4),
            )
        return Trainer(Net(4, 2), Net(2, 1), real, noise, TrainConfig(**CONFIG, ema_decay=0.9), tricks=new_tricks.make_tricks(["instance_noise"]))

    whole = make()
    whole.fit()
    first = make()
    first.fit(5)
    first.save_checkpoint(tmp_path / "run.pt")
    second = make()
    second.load_checkpoint(tmp_path / "run.pt")
    second.fit(CONFIG["num_epochs"] - 5)
    assert whole.history.as_dict() == second.history.as_dict()
    kept = dict(second.history.snapshots)  # the interrupted run also kept one where it stopped
    assert all(torch.equal(images, kept[epoch]) for epoch, images in whole.history.snapshots)
    for a, b in zip([*whole.generator.parameters(), *whole.ema_generator.parameters()], [*second.generator.parameters(), *second.ema_generator.parameters()]):
        assert torch.equal(a, b)
