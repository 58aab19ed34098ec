"""The recipes of lessons 12.1.8 and 12.1.9 (modules.experiments.translation and the
StyleGAN-lite recipe of modules.networks.stylegan), the measures the quality gates use, and
the two figure helpers they added to modules.figures.plotting."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from modules.game.games import Cycle, Pair, Paired
from modules.game.loop import GANTrainer
from modules.game.losses import LeastSquaresLoss, NonSaturatingLoss
from modules.game.terms import L1, CycleConsistency, Identity
from modules.networks.dcgan import DCGANDiscriminator
from modules.figures.plotting import plot_image_columns, plot_mixing_grid
from modules.networks.stylegan import StyleGenerator
from modules.experiments.stylegan import StyleRecipe, build_style_gan, sample_spread
from modules.data.translation import PairedImages
from modules.networks.translation import PatchDiscriminator, UNetGenerator
from modules.experiments.translation import CycleGANRecipe, DomainClassifier, Pix2PixRecipe, build_cyclegan, build_pix2pix, cycle_report, held_out_l1, train_domain_classifier, translate, translation_size, unet_depth

pytestmark = pytest.mark.usefixtures("one_thread")

PIX = Pix2PixRecipe(image_size=16, scenes=60, width=4, d_width=4, d_layers=1, steps=2, batch_size=4)
CYC = CycleGANRecipe(image_size=16, width=4, d_width=4, d_layers=1, steps=2, batch_size=4)


def test_pix2pix_is_the_paired_game_with_the_l1_term():
    trainer = build_pix2pix(PIX)
    assert isinstance(trainer, GANTrainer) and isinstance(trainer.game, Paired)
    assert isinstance(trainer.objective.loss, NonSaturatingLoss)
    (l1,) = trainer.objective.terms
    assert isinstance(l1, L1) and l1.weight == PIX.l1_weight
    assert trainer.tricks == [] and trainer.objective.constraints == ()
    assert isinstance(trainer.generator, UNetGenerator) and isinstance(trainer.discriminator, PatchDiscriminator)
    assert build_pix2pix(Pix2PixRecipe(**{**PIX.__dict__, "l1_weight": 0.0})).objective.terms == ()
    train, held_out = PIX.data()
    assert len(train) == 48 and len(held_out) == 12
    out = trainer.generate(torch.empty(5, 0), held_out.inputs[:5])
    assert out.shape == held_out.targets[:5].shape == (5, 3, 16, 16)
    # D judges (output, input): 3 + 1 channels
    assert trainer.discriminator(out, held_out.inputs[:5]).shape[0] == 5


def test_held_out_l1_is_the_mean_absolute_error():
    train, held_out = PIX.data()

    class Oracle(nn.Module):  # answers with the targets, up to a known offset
        def __init__(self) -> None:
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))
            self.lookup = {tuple(x.flatten().tolist()): y for x, y in zip(held_out.inputs, held_out.targets)}

        def forward(self, x):
            return torch.stack([self.lookup[tuple(row.flatten().tolist())] for row in x]) - 0.25

    trainer = build_pix2pix(PIX)
    assert held_out_l1(trainer, held_out, Oracle()) == pytest.approx(0.25, abs=1e-6)
    assert held_out_l1(trainer, held_out) > 0.1  # the untrained U-Net is far off


def test_cyclegan_recipe_builds_four_networks_with_the_recipes_weights():
    trainer = build_cyclegan(CycleGANRecipe(**{**CYC.__dict__, "cycle_weight": 3.0, "identity_weight": 0.2, "history": 7}))
    assert isinstance(trainer.game, Cycle) and isinstance(trainer.objective.loss, LeastSquaresLoss)
    cycle, identity = trainer.objective.terms
    assert isinstance(cycle, CycleConsistency) and isinstance(identity, Identity)
    # the recipe's identity weight is a fraction of the cycle weight
    assert (cycle.weight, identity.weight) == (3.0, pytest.approx(3.0 * 0.2))
    assert trainer.game.history_a.capacity == trainer.game.history_b.capacity == 7
    assert isinstance(trainer.generator, Pair) and isinstance(trainer.discriminator, Pair)
    assert all(isinstance(net, UNetGenerator) for net in (trainer.generator.ab, trainer.generator.ba))
    assert all(isinstance(net, PatchDiscriminator) for net in (trainer.discriminator.a, trainer.discriminator.b))
    assert trainer.generator.ab is not trainer.generator.ba and trainer.discriminator.a is not trainer.discriminator.b
    assert trainer.generator.ab.depth == CYC.depth and not any(isinstance(m, nn.Dropout) for m in trainer.generator.modules())
    trainer.fit()
    assert set(trainer.objective.last_terms) == {"cycle", "identity"}
    assert all(value > 0 for value in trainer.objective.last_terms.values())


def test_domain_classifier_tells_the_domains_apart():
    domains = CYC.data()
    judge = train_domain_classifier(domains, steps=60)
    test_a = domains.test_a.tensors()[0]
    test_b = domains.test_b.tensors()[0]
    assert (~judge.is_b(test_a)).float().mean() > 0.95
    assert judge.is_b(test_b).float().mean() > 0.95
    assert isinstance(judge, DomainClassifier) and not judge.training


def test_cycle_report_of_perfect_and_of_content_free_translators():
    domains = CYC.data()
    trainer = build_cyclegan(CYC)
    judge = train_domain_classifier(domains, steps=60)

    class Restyle(nn.Module):  # the correct A -> B translation
        def __init__(self) -> None:
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return domains.correct_b_of(x)

    class Unstyle(nn.Module):  # the correct B -> A translation, looked up
        def __init__(self) -> None:
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))
            a = domains.test_a.tensors()[0]
            self.lookup = {tuple(b.flatten().tolist()): x for b, x in zip(domains.correct_b_of(a), a)}

        def forward(self, x):
            return torch.stack([self.lookup[tuple(b.flatten().tolist())] for b in x])

    trainer.generator.ab, trainer.generator.ba = Restyle(), Unstyle()
    perfect = cycle_report(trainer, domains, judge)
    assert perfect["cycle_a"] < 1e-6 and perfect["error_ab"] < 1e-6 and perfect["error_ba"] < 1e-6
    assert perfect["as_b"] > 0.95 and perfect["as_a"] > 0.95
    assert perfect["other_digit"] > 0.2  # the scale a round trip's error is compared with

    class Blank(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.p = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return torch.full_like(x, -1.0)

    trainer.generator.ab = trainer.generator.ba = Blank()
    blank = cycle_report(trainer, domains, judge)
    assert blank["cycle_a"] > 0.2 and blank["error_ab"] > perfect["error_ab"] + 0.2


def test_translate_keeps_the_models_mode_and_batches():
    model = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Dropout(0.5))
    model.train()
    x = torch.randn(7, 1, 4, 4)
    out = translate(model, x, batch_size=3)
    assert torch.equal(out, model.eval()(x).detach()) and out.shape == x.shape
    model.train()
    translate(model, x)
    assert model.training


@pytest.mark.parametrize("size,ok", [(16, True), (256, True), (8, False), (24, False), (512, False)])
def test_translation_size_check(size, ok):
    assert (translation_size(size) is None) == ok


def test_unet_depth_check():
    check = unet_depth(32)
    assert check(2) is None and check(5) is None
    assert "from 2 to 5 for 32x32" in check(6) and check(1) is not None


def test_style_recipe_builds_the_style_generator_against_a_minibatch_std_d():
    recipe = StyleRecipe(image_size=8, width=8, d_width=4, steps=2, batch_size=4, z_dim=8, w_dim=8, mapping_layers=2)
    trainer = build_style_gan(recipe)
    assert isinstance(trainer.generator, StyleGenerator)
    assert isinstance(trainer.discriminator, DCGANDiscriminator) and trainer.discriminator.minibatch_std
    assert trainer.ema_generator is not None and trainer.opt_g.param_groups[0]["betas"] == (0.0, 0.99)
    trainer.fit()
    assert trainer.generate(torch.randn(3, 8)).shape == (3, 1, 8, 8)
    assert int(trainer.generator.w_avg_updates) == 2 * recipe.steps  # once in D's step, once in G's


def test_sample_spread():
    assert sample_spread(torch.ones(5, 1, 4, 4)) == 0.0
    assert sample_spread(torch.ones(1, 1, 4, 4)) == 0.0
    x = torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    assert sample_spread(x) == pytest.approx(2**0.5)


def test_image_columns_and_mixing_grid_figures():
    cols = {"a": torch.rand(3, 3, 8, 8) * 2 - 1, "b": torch.rand(2, 1, 8, 8) * 2 - 1}
    fig = plot_image_columns(cols, label="table", title="t", row_names=["x", "y", "z"])
    assert fig.get_label() == "table" and len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
    fig = plot_mixing_grid(torch.rand(2, 1, 8, 8), torch.rand(3, 1, 8, 8), torch.rand(6, 1, 8, 8))
    assert fig.get_label() == "style_mixing" and len(fig.axes) == 12
    with pytest.raises(ValueError, match="2 \\* 3|len\\(coarse\\) \\* len\\(fine\\) = 6"):
        plot_mixing_grid(torch.rand(2, 1, 8, 8), torch.rand(3, 1, 8, 8), torch.rand(5, 1, 8, 8))


def write_pairs(folder, n: int = 4, size: int = 20) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """pix2pix-style files: left half A (a red square on black), right half B (a solid
    colour that depends on the file), written as PNGs."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = Image.new("RGB", (2 * size, size), (0, 0, 0))
        img.paste((255, 0, 0), (4, 4, 4 + 2 * i + 4, 12))
        img.paste((0, 40 * i, 255), (size, 0, 2 * size, size))
        img.save(folder / f"{i:03d}.png")


def test_paired_folder_splits_side_by_side_pairs(tmp_path):
    from modules.data.translation import paired_folder

    write_pairs(tmp_path / "train", n=4)
    pairs = paired_folder(str(tmp_path), size=16)
    assert pairs.inputs.shape == pairs.targets.shape == (4, 3, 16, 16)
    assert pairs.name == tmp_path.name
    # right halves: solid (0, 40 i, 255) -> [-1, 1]
    assert torch.allclose(pairs.targets[2, :, 8, 8], torch.tensor([-1.0, 80 / 127.5 - 1, 1.0]), atol=1e-6)
    assert pairs.inputs[:, 1].max() == -1.0 and pairs.inputs[:, 0].max() == 1.0  # red on black
    back = paired_folder(str(tmp_path), size=16, direction="BtoA")
    assert torch.equal(back.inputs, pairs.targets) and torch.equal(back.targets, pairs.inputs)
    recipe = Pix2PixRecipe(image_size=16, data_dir=str(tmp_path), width=4, d_width=4, d_layers=1, steps=1, batch_size=2, test_fraction=0.25)
    train, held_out = recipe.data()
    assert (len(train), len(held_out)) == (3, 1)
    trainer = build_pix2pix(recipe)
    assert trainer.generator.in_channels == 3 and trainer.generator.out_channels == 3
    trainer.fit()


def test_paired_folder_errors_are_one_line(tmp_path):
    from modules.data.images import DatasetUnavailable
    from modules.data.translation import paired_folder

    with pytest.raises(DatasetUnavailable, match="is not a folder"):
        paired_folder(str(tmp_path / "missing"))
    with pytest.raises(DatasetUnavailable, match="no images"):
        paired_folder(str(tmp_path))
    write_pairs(tmp_path, n=1)
    with pytest.raises(DatasetUnavailable, match="at least two"):
        paired_folder(str(tmp_path))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetUnavailable, match="cannot read paired image .*broken.png"):
        paired_folder(str(tmp_path))
    with pytest.raises(ValueError, match="direction"):
        paired_folder(str(tmp_path), direction="sideways")
