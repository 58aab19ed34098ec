"""The kinds of game and the objective's parts combine: every combination works or is
refused with one line, and a run stopped and resumed from its checkpoint is the run
that never stopped (a plain and a cycle game)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
import torch.nn.functional as F

from modules.experiments.translation import no_noise
from modules.game import tricks as new_tricks
from modules.game.config import TrainConfig
from modules.game.games import Cycle, Pair
from modules.game.loop import GANTrainer as Trainer
from modules.game.objective import Objective, named_objective
from modules.game.terms import L1, CycleConsistency


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


def pairs(n, generator=None):
    x = torch.randn(n, 2, generator=generator)
    return x.flip(1) * 2, x


def noise(n, generator=None):
    return torch.randn(n, 4, generator=generator)


CONFIG = dict(num_epochs=12, batch_size=16, lr=1e-3, snapshot_every=4, num_snapshot_samples=8)

def test_a_term_the_game_cannot_feed_is_refused():
    with pytest.raises(ValueError, match="the l1 term needs the game's 'targets'"):
        Trainer(Net(4, 2), Net(2, 1), real, noise, TrainConfig(**CONFIG), objective=Objective(terms=(L1(),)))


def test_the_gradient_penalty_acts_under_the_cycle_game():
    """Under the cycle game a WGAN-GP loss keeps its gradient penalty: a term of D's phase, whatever the game."""
    from modules.game.terms import GradientPenalty

    torch.manual_seed(5)
    gp = GradientPenalty(10.0)
    trainer = Trainer(
        Pair(nn.Linear(2, 2), nn.Linear(2, 2), ("ab", "ba")), Pair(Net(2, 1), Net(2, 1), ("a", "b")), pairs, no_noise,
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
                Pair(nn.Linear(2, 2), nn.Linear(2, 2), ("ab", "ba")), Pair(Net(2, 1), Net(2, 1), ("a", "b")), pairs, no_noise,
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
