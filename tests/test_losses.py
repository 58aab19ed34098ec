"""Tests for modules.game.losses (the non-saturating and minimax GAN objectives) and
the objectives modules.game.objective builds by name."""

from __future__ import annotations

import math

import pytest
import torch

from modules.game.losses import AdversarialLoss, MinimaxLoss, NonSaturatingLoss, WassersteinLoss
from modules.game.objective import OBJECTIVES, Objective, named_objective
from modules.game.terms import GradientPenalty, WeightClipping

LN2 = math.log(2)


@pytest.mark.parametrize("loss", [NonSaturatingLoss(), MinimaxLoss()], ids=lambda l: l.name)
def test_d_loss_at_zero_logits_is_two_ln2(loss):
    zeros = torch.zeros(16, 1)
    assert loss.d_loss(zeros, zeros).item() == pytest.approx(2 * LN2, abs=1e-6)


@pytest.mark.parametrize("loss", [NonSaturatingLoss(), MinimaxLoss()], ids=lambda l: l.name)
def test_d_loss_matches_formula(loss):
    real = torch.tensor([[2.0], [-0.5], [0.3]], dtype=torch.float64)
    fake = torch.tensor([[-1.0], [1.5], [0.0]], dtype=torch.float64)
    expected = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    assert loss.d_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-9)
    # a perfect discriminator has (almost) zero loss; a fooled one a large loss
    assert loss.d_loss(torch.full((4, 1), 20.0), torch.full((4, 1), -20.0)).item() < 1e-6
    assert loss.d_loss(torch.full((4, 1), -20.0), torch.full((4, 1), 20.0)).item() > 30


def test_non_saturating_g_loss_at_zero_is_ln2():
    assert NonSaturatingLoss().g_loss(torch.zeros(8, 1)).item() == pytest.approx(LN2, abs=1e-6)


def test_minimax_g_loss_at_zero_is_minus_ln2():
    assert MinimaxLoss().g_loss(torch.zeros(8, 1)).item() == pytest.approx(-LN2, abs=1e-6)


def test_g_losses_match_formulas():
    fake = torch.tensor([[-2.0], [0.7], [3.0]], dtype=torch.float64)
    p = torch.sigmoid(fake)
    assert NonSaturatingLoss().g_loss(fake).item() == pytest.approx(-torch.log(p).mean().item(), rel=1e-9)
    assert MinimaxLoss().g_loss(fake).item() == pytest.approx(torch.log(1 - p).mean().item(), rel=1e-9)


def _g_grad(loss: AdversarialLoss, logit: float) -> float:
    x = torch.tensor([[logit]], requires_grad=True)
    loss.g_loss(x).backward()
    return x.grad.item()


def test_minimax_saturates_where_non_saturating_does_not():
    # D is confident the fake is fake (logit -10, D(G(z)) ~ 4.5e-5)
    minimax = _g_grad(MinimaxLoss(), -10.0)
    non_sat = _g_grad(NonSaturatingLoss(), -10.0)
    assert abs(minimax) < 1e-3  # vanishing gradient: d/dx log(1 - sigmoid(x)) = -sigmoid(x)
    assert non_sat == pytest.approx(-1.0, abs=1e-3)  # d/dx -log sigmoid(x) = sigmoid(x) - 1
    # both push the logit up (G wants D to say "real")
    assert minimax < 0 and non_sat < 0


def test_gradients_agree_at_zero_logit():
    # at D(G(z)) = 1/2 both objectives give G the same gradient, -1/2
    assert _g_grad(MinimaxLoss(), 0.0) == pytest.approx(-0.5, abs=1e-6)
    assert _g_grad(NonSaturatingLoss(), 0.0) == pytest.approx(-0.5, abs=1e-6)


def test_probability_is_sigmoid():
    logits = torch.tensor([[-3.0], [0.0], [2.0]])
    assert torch.allclose(NonSaturatingLoss().probability(logits), torch.sigmoid(logits))
    assert NonSaturatingLoss().probability(torch.zeros(1)).item() == 0.5


def test_named_objective_by_name():
    objective = named_objective("non_saturating")
    assert isinstance(objective, Objective) and type(objective.loss) is NonSaturatingLoss
    assert type(named_objective("minimax").loss) is MinimaxLoss
    # the plain losses come alone: no terms, no constraints, no tricks
    for name in ("non_saturating", "minimax"):
        objective = named_objective(name)
        assert (objective.terms, objective.constraints, objective.see, objective.relabel, objective.g_objective) == ((), (), (), (), None)
    assert set(OBJECTIVES) == {"non_saturating", "minimax", "lsgan", "hinge", "wgan", "wgan_gp"}
    # a fresh objective (and loss) each time
    assert named_objective("minimax") is not named_objective("minimax")
    assert named_objective("minimax").loss is not named_objective("minimax").loss
    # the default objective of the trainer is the non-saturating loss alone
    assert type(Objective().loss) is NonSaturatingLoss and Objective().terms == ()


def test_named_objective_composes_the_wasserstein_objectives():
    wgan = named_objective("wgan", clip=0.05)
    assert type(wgan.loss) is WassersteinLoss and wgan.terms == ()
    (clip,) = wgan.constraints
    assert isinstance(clip, WeightClipping) and clip.clip == 0.05
    gp = named_objective("wgan_gp", penalty_weight=5)
    assert type(gp.loss) is WassersteinLoss and gp.constraints == ()
    (penalty,) = gp.terms
    assert isinstance(penalty, GradientPenalty) and penalty.weight == 5.0
    with pytest.raises(TypeError):  # a parameter the objective does not take
        named_objective("minimax", clip=0.01)


def test_named_objective_unknown_name_lists_choices():
    with pytest.raises(ValueError) as info:
        named_objective("wasserstein")
    message = str(info.value)
    assert "wasserstein" in message and "\n" not in message
    for name in OBJECTIVES:
        assert name in message


def test_base_interface_g_loss_not_implemented():
    with pytest.raises(NotImplementedError):
        AdversarialLoss().g_loss(torch.zeros(1, 1))


def test_objective_from_settings_gives_each_builder_its_own_settings():
    from modules.game.losses import HingeLoss
    from modules.game.objective import objective_from_settings

    settings = {"penalty_weight": 3.0, "clip": 0.05}
    gp = objective_from_settings("wgan_gp", **settings)
    assert [type(t) for t in gp.terms] == [GradientPenalty] and gp.terms[0].weight == 3.0 and gp.constraints == ()
    clipped = objective_from_settings("wgan", **settings)
    assert clipped.terms == () and [c.clip for c in clipped.constraints] == [0.05]
    hinge = objective_from_settings("hinge", **settings)
    assert type(hinge.loss) is HingeLoss and hinge == Objective(hinge.loss)  # nothing composed with it
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        objective_from_settings("nope", **settings)
