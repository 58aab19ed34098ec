"""Lesson 12.1.8 (Image-to-Image Translation) says only what its scripts and modules do.

* No number from a run is pasted: the lesson shows the output of the build's own runs
  of ``pix2pix.py`` and ``cyclegan.py`` (``build-output`` blocks) and pulls the
  numbers its sentences state from their records (``:result:`` roles, checked by
  ``tests/test_build_quotes.py``).  What the sentences conclude from them rests on the
  quality gates of ``tests/lesson_gates/lesson_12_1_8.py``, checked on the build's
  records and over seeds and kernel paths by ``tests/robustness.py``.
* What every lesson is checked for (results recorded, known decimals, the Quick Start,
  figures, links, flags, included code, references, format, answers that answer) is in
  ``test_lesson_claims.py``.  Here, what only this lesson claims: no percentage typed
  into the prose, exactly the results it names, the settings it states (checked
  against the scripts' constants, the modules' defaults and the trainers the recipes
  build), the trainer call it writes out, the U-Net's receptive window, the figure
  descriptions and the code of both methods it includes.
"""

from __future__ import annotations

import inspect
import re

import torch

from course import ROOT
from lesson_checks import check_literalincludes, constants, one_line, records, section, string_constants

LESSON = ROOT / "docs" / "12_1_8_image_translation.rst"


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def prose() -> str:
    """The lesson before its references."""
    return lesson_text().split("\nReferences\n==========")[0]


# The names the lesson's :result: roles use, by script (each recorded by the script).
RECORDED = {
    "pix2pix": {"constant", "l1_share", "plain_share", "l1_right_colour", "plain_right_colour"},
    "cyclegan": {
        "judge_b", "judge_a", "digit_accuracy", "cycle_cycle_a", "cycle_cycle_b", "cycle_other_digit", "cycle_as_b",
        "cycle_as_a", "cycle_recognised_ba", "plain_recognised_ba", "cycle_home_a", "cycle_home_b", "plain_error_ab", "cycle_error_ab", "ba_verdict",
        "plain_cycle_a", "plain_cycle_b", "round_trip_verdict", "round_trip_price", "round_trip_summary",
    },
}


def test_no_percentage_of_the_prose_comes_from_a_run():
    """Shares from the runs (of the constant's error, the classifiers' shares) are
    :result: roles; a percentage typed into the prose would be a pasted number."""
    text = "\n".join(line for line in prose().splitlines() if not line.strip().startswith(":width:"))
    assert not re.findall(r"(?<![\d.])\d+(?:\.\d+)?%", text)


def test_roles_name_what_the_scripts_record():
    """The lesson shows exactly these results, each a value its script records (the
    build fails on a missing one; this finds it without a build): a run's
    ``<run>_<key>`` names take their keys from :func:`cycle_report`; and the two output
    blocks are the build's, in this order."""
    from modules.experiments.translation import cycle_report

    used: dict[str, set[str]] = {}
    for script, name in re.findall(r":result:`(\w+)\.(\w+)`", lesson_text()):
        used.setdefault(script, set()).add(name)
    assert used == RECORDED
    for script, names in RECORDED.items():
        for name in names:
            assert records(script, name), f"{script}.py records no {name!r}"
    keys = string_constants(cycle_report)
    for name in RECORDED["cyclegan"]:
        run, key = name.split("_", 1)
        if run in ("cycle", "plain"):
            assert key in keys, f"cycle_report reports no {key!r}"
    assert records("cyclegan", "round_trips_worse")  # the verdict the round_trip_* sentences follow
    assert records("cyclegan", "ba_plain_closer")  # the comparison the ba_verdict sentence follows
    assert re.findall(r"^\.\. build-output:: (\w+)$", lesson_text(), re.M) == ["pix2pix", "cyclegan"]


def test_quick_start_shows_pix2pix_and_its_whole_output():
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    assert "**Expected output** (``python pix2pix.py --preset docs``" in quick
    assert ".. build-output:: pix2pix\n   :start-at: preset=docs\n   :end-at: GAN only (L1 weight 0)\n" in quick


def test_lesson_states_the_presets_and_settings_the_code_has():
    from modules.experiments import translation as translation_recipes
    from modules.game.games import Cycle, ImageHistory
    from modules.game.losses import LeastSquaresLoss, NonSaturatingLoss
    from modules.game.terms import L1, CycleConsistency, Identity
    from modules.data.translation import IMAGE_SIZES
    from modules.networks.translation import PatchDiscriminator, UNetGenerator, receptive_field

    pix, cyc = constants("pix2pix"), constants("cyclegan")
    assert pix["DOCS_PRESET"] == {"image_size": 32, "scenes": 2000, "width": 16, "d_width": 16, "d_layers": 2, "batch_size": 8, "lr": 1e-3, "steps": 1000}
    assert (pix["IMAGE_SIZE"], pix["SCENES"], pix["WIDTH"], pix["D_WIDTH"], pix["D_LAYERS"]) == (64, 6000, 64, 64, 3)
    assert (pix["BATCH_SIZE"], pix["LEARNING_RATE"], pix["STEPS"], pix["L1_WEIGHT"]) == (16, 2e-4, 20000, 100.0)
    assert cyc["DOCS_PRESET"] == {"dataset": "mnist-5k", "image_size": 32, "width": 16, "depth": 2, "d_width": 16, "d_layers": 2, "lr": 5e-4, "steps": 600}
    assert cyc["DATASET"] == "mnist" and translation_recipes.CycleGANRecipe().dataset == "mnist-5k"
    assert (cyc["IMAGE_SIZE"], cyc["STEPS"], cyc["BATCH_SIZE"], cyc["CYCLE_WEIGHT"], cyc["IDENTITY_WEIGHT"], cyc["HISTORY"]) == (64, 10000, 8, 10.0, 0.5, 50)
    assert IMAGE_SIZES == (16, 32, 64, 128, 256)
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    assert translation_recipes.Pix2PixRecipe.test_fraction == 0.2  # "holds a fifth of them out"
    assert inspect.signature(L1).parameters["weight"].default == 100.0
    # lambda = 10, lambda_id = 0.5 (a fraction of the cycle weight, so the identity term's own default is 5), 50 translations
    cycle_recipe = translation_recipes.CycleGANRecipe()
    assert (cycle_recipe.cycle_weight, cycle_recipe.identity_weight, cycle_recipe.history) == (10.0, 0.5, 50)
    assert inspect.signature(CycleConsistency).parameters["weight"].default == 10.0
    assert inspect.signature(Identity).parameters["weight"].default == 0.5 * 10.0
    assert inspect.signature(Cycle).parameters["history"].default == 50
    assert inspect.signature(ImageHistory).parameters["capacity"].default == 50
    # pix2pix: the non-saturating loss; CycleGAN: least squares (the trainers the recipes build)
    pix_trainer = translation_recipes.build_pix2pix(
        translation_recipes.Pix2PixRecipe(image_size=16, scenes=20, width=4, d_width=4, d_layers=1, steps=1, batch_size=2)
    )
    assert isinstance(pix_trainer.objective.loss, NonSaturatingLoss)
    assert isinstance(pix_trainer.generator, UNetGenerator) and isinstance(pix_trainer.discriminator, PatchDiscriminator)
    cyc_trainer = translation_recipes.build_cyclegan(
        translation_recipes.CycleGANRecipe(image_size=16, width=4, d_width=4, d_layers=1, steps=1, batch_size=2)
    )
    assert isinstance(cyc_trainer.objective.loss, LeastSquaresLoss)
    # dropout 0.5 on the innermost three decoder layers of pix2pix's U-Net; BatchNorm in
    # both networks of both methods
    assert inspect.signature(UNetGenerator).parameters["dropout"].default == 0.5
    unet = UNetGenerator(1, 3, 32)
    with_dropout = [j for j, layer in enumerate(unet.up) if any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in layer)]
    assert with_dropout == [0, 1, 2]
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in unet.modules())
    assert inspect.signature(PatchDiscriminator).parameters["norm"].default == "batch"
    # CycleGAN reuses both networks, BatchNorm included: U-Nets from a domain to the other, PatchGANs on one domain
    channels = cyc_trainer.generator.ab.in_channels
    assert channels == 3  # the styled digits are RGB
    for g in (cyc_trainer.generator.ab, cyc_trainer.generator.ba):
        assert isinstance(g, UNetGenerator) and g.in_channels == g.out_channels == channels
        assert any(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules())
    for d in (cyc_trainer.discriminator.a, cyc_trainer.discriminator.b):
        assert isinstance(d, PatchDiscriminator) and d.in_channels == channels
        assert any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    text = one_line(lesson_text())
    for said in (
        "makes 2,000 outline/rendering pairs, holds a fifth of them out",
        "the docs preset trains on 2,000 scenes at 32x32 with 16 channels in the u-net and the patchgan, two stride-2 patchgan layers, batches of 8 and a learning rate of 1e-3, for 1,000 steps per run",
        "the full preset uses 6,000 scenes at 64x64, 64 channels, the paper's three patchgan layers, batches of 16, the paper's learning rate of 2e-4 and 20,000 steps",
        "the docs preset trains each run for 600 steps on batches of 8 digits per domain at 32x32, with u-nets of depth 2 and 16 channels, patchgans with two stride-2 layers and a learning rate of 5e-4",
        "full preset: mnist at 64x64, 10,000 steps",
        "2,000 of ``mnist-5k``'s training digits in the docs preset",
        "the checks below use the 1,000 held-out digits, which neither domain contains",
        "full preset: 64x64 scenes, 20,000 steps",
        "the docs preset, which built this page, runs at 32x32 on a cpu; the full preset trains at 64x64 (cyclegan on all of mnist)",
        "docs preset: 32x32, 1,000 steps per run",
        "docs preset: 32x32, 600 steps per run",
        "with :math:`\\lambda` = 100 in the paper (``--l1-weight``, l1_weight in the script)",
        "with :math:`\\lambda` = 10 (``--cycle-weight``) and :math:`\\lambda_{id}` = 0.5",
        "dropout (rate 0.5) in the innermost three decoder layers",
        "a buffer of the last 50 translations (``--history``)",
        "with 1, 2, 3 or 4 stride-2 layers a logit sees 16, 34, 70 or 142 pixels",
        "the paper's 70x70 patchgan has three (``--d-layers 3``)",
        "``--image-size`` accepts 16 to 256",
        "the docs preset's u-net has ``--depth 2``",
        "the course reuses pix2pix's u-net and batchnorm for both methods",
    ):
        assert said in text, said


def test_the_pix2pix_call_shown_is_the_recipes():
    """The trainer call the lesson writes out for pix2pix (loss, L1 weight, game) is the
    one :func:`~modules.experiments.translation.build_pix2pix` makes with the script's
    full-preset L1 weight."""
    from modules.game import losses
    from modules.game.games import Paired
    from modules.game.terms import L1
    from modules.experiments.translation import Pix2PixRecipe, build_pix2pix

    text = " ".join(lesson_text().split())
    shown = re.findall(r"objective=Objective\((\w+)\(\), terms=\(L1\(([\d.]+)\),\)\), game=(\w+)\(\)", text)
    assert len(shown) == 1, shown
    loss_name, weight, game_name = shown[0]
    trainer = build_pix2pix(Pix2PixRecipe(image_size=16, scenes=20, width=4, d_width=4, d_layers=1, steps=1, batch_size=2))
    assert type(trainer.objective.loss) is getattr(losses, loss_name), f"the lesson shows {loss_name}, pix2pix uses {type(trainer.objective.loss).__name__}"
    assert type(trainer.game) is Paired and game_name == "Paired"
    assert float(weight) == constants("pix2pix")["L1_WEIGHT"] == L1().weight == trainer.objective.terms[0].weight


def test_the_docs_unet_sees_a_small_window_and_the_deep_one_the_whole_image():
    """Concept 6: with ``--depth 2`` (the docs preset) every output pixel of the 32x32
    U-Net depends on at most an 18x18 window of the input; with ``--depth 5`` on the
    whole image.  Measured with gradients, in eval mode (in train mode BatchNorm's
    batch statistics would connect every pixel with every other)."""
    from modules.networks.translation import UNetGenerator

    def windows(depth: int) -> list[tuple[int, int]]:
        torch.manual_seed(0)
        g = UNetGenerator(3, 3, 32, 16, depth=depth, dropout=0.0).eval()
        found = []
        for row in range(12, 16):  # every position modulo the 4 of two stride-2 levels
            for col in range(12, 16):
                reached = torch.zeros(32, 32, dtype=torch.bool)
                for seed in range(3):
                    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed), requires_grad=True)
                    g(x)[0, :, row, col].sum().backward()
                    reached |= x.grad.abs().sum(dim=(0, 1)) > 0
                rows, cols = reached.nonzero(as_tuple=True)
                found.append((int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)))
        return found

    assert constants("cyclegan")["DOCS_PRESET"]["depth"] == 2
    shallow = windows(2)
    assert max(max(w) for w in shallow) == 18
    assert all(w == (32, 32) for w in windows(5))
    text = one_line(lesson_text())
    assert "every output pixel depends on a window of at most 18x18 input pixels" in text
    assert "with ``--depth 5`` the bottleneck is 1x1 and every output pixel can depend on the whole image" in text


def test_figure_descriptions_match_the_data():
    """The round-trip figure's alt text names the held-out digits it shows (the first
    six of ``test_a``), and the pairs are coloured by kind as the prose says."""
    from modules.data.translation import SHAPE_COLOURS, digit_styles

    labels = digit_styles(32).test_a.tensors()[1][:6].tolist()
    assert labels == [1, 2, 5, 8, 8, 0]
    assert "the rows show the digits 1, 2, 5, 8, 8 and 0" in one_line(lesson_text())
    red, green, blue = (max(range(3), key=SHAPE_COLOURS[kind].__getitem__) for kind in ("circle", "square", "triangle"))
    assert (red, green, blue) == (0, 1, 2)
    assert "circles are red, squares green, triangles blue" in one_line(lesson_text())


def test_literalincludes_show_the_code_of_both_methods():
    includes = check_literalincludes(LESSON, at_least=11)
    objects = {re.search(r":pyobject:\s*(\S+)", options)[1] for _, options in includes if ":pyobject:" in options}
    # the trainer's part of both methods: the paired game, the L1 term, the cycle game and its cycle term
    for shown in ("Paired", "L1", "Cycle", "CycleConsistency"):
        assert any(name == shown or name.startswith(shown + ".") for name in objects), f"the lesson shows no code of {shown}"


