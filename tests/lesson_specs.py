"""What the shared lesson-claims checks (``test_lesson_claims.py``) need to know of each
lesson: its page, its scripts, the decimals its prose may state and why, what it must
show and mention.  What only one lesson claims is checked in its own
``test_lesson_claims_<lesson>.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from course import ROOT


@dataclass(frozen=True)
class Lesson:
    stem: str  # docs/<stem>.rst, gallery/<stem>/
    label: str  # the page's label (``.. _<label>:``)
    level: str
    dropdowns: int  # answers in dropdowns, at least
    scripts: tuple[str, ...]  # the scripts whose :result: roles and build output it shows
    quick_start: str  # the script the Quick Start includes first, and shows the output of
    # every decimal the prose may state before its references, with where it is checked
    decimals: dict[str, str]
    figures: frozenset[tuple[str, str]]  # (script, label) of every figure it shows
    references: tuple[str, ...]  # the citations it defines
    cited_from_elsewhere: tuple[str, ...] = ()  # the citations other pages define
    duration: str | None = None  # None: whoever sets durations may change it
    borrowed_outputs: tuple[str, ...] = ()  # scripts of other lessons whose build output it shows
    min_results: int = 1  # :result: roles, at least
    min_outputs: int = 1  # build-output blocks, at least
    min_includes: int = 1  # literalincludes, at least
    quick_start_command: bool = True  # the Quick Start names ``python <script>.py --preset docs``
    caption_command: bool = True  # each figure's caption names ``python <script>.py --preset docs``
    markers_printed: bool = True  # each build-output marker is a line its script writes
    named_scripts: tuple[str, ...] | None = None  # the gallery scripts the page names by path, exactly
    flag_scripts: tuple[str, ...] | None = None  # whose --help holds its flags (default: those it names)
    must_mention: tuple[str, ...] = ()  # flags it must keep mentioning
    answers_answer: bool = False  # it never sends the student off to "run it and see"
    captionless: tuple[str, ...] = ()  # labels of shown figures (animations) without a preset caption
    include_targets: frozenset[str] = field(default_factory=frozenset)  # files it must include code of
    include_objects: frozenset[str] = field(default_factory=frozenset)  # :pyobject: it must include

    @property
    def path(self):
        return ROOT / "docs" / f"{self.stem}.rst"

    @property
    def own_scripts(self) -> list[str]:
        return sorted(p.stem for p in (ROOT / "gallery" / self.stem).glob("*.py"))

    def __str__(self) -> str:
        return self.stem


TRUNCATION = "a truncation value of the strip (PSI)"

LESSONS = (
    Lesson(
        stem="12_1_1_gan_architecture",
        label="module-12-1-1-gan-architecture",
        level="Intermediate",
        dropdowns=3,
        scripts=("gan_architecture", "gan_patterns"),
        quick_start="gan_architecture",
        decimals={
            "4.0": "DATA_MEAN, in Exercise 2's code block",
            "1.25": "DATA_STDDEV",
            "0.0": "Exercise 2's other DATA_MEAN (--data-mean 0)",
            "3.0": "Exercise 2's other DATA_STDDEV (--data-stddev 3)",
            "0.1": "the tolerance gan_architecture.py reports against (first_epoch_within)",
            "0.3": "the margin of Exercise 2's variant gate",
            "0.5": "Adam's beta1 in DCGAN [Radford2016]",
            "1.386": "2 ln 2, D's loss at equilibrium",
            "0.693": "ln 2, G's loss at equilibrium",
            "0.9": "the SGD momentum of Dev Nag's code",
            "4.7": "an illustrative draw, not a result",
            "0.383": "the share of a Gaussian within half a standard deviation of its mean",
            "2.0": "Apache-2.0, a licence",
        },
        figures=frozenset({
            ("gan_architecture", "architecture"), ("gan_architecture", "training_results"), ("gan_architecture", "progress"),
            ("gan_patterns", "real_vs_generated"), ("gan_patterns", "progress"),
        }),
        captionless=("architecture",),  # the diagram is no result
        references=(
            "Goodfellow2014", "Goodfellow2016", "Radford2016", "Salimans2016", "Arjovsky2017", "Karras2018", "Karras2019",
            "Brock2019", "DevNag2017",
        ),
        min_includes=3,
        quick_start_command=False,
        caption_command=False,
        must_mention=("--data-mean", "--data-stddev", "--lr", "--d-steps", "--g-steps", "--epochs"),
    ),
    Lesson(
        stem="12_1_2_dcgan",
        label="module-12-1-2-dcgan",
        level="Intermediate",
        dropdowns=4,
        scripts=("dcgan_train", "dcgan_latent", "dcgan_upsampling"),
        quick_start="dcgan_train",
        decimals={
            "0.02": "the weights' initial standard deviation, N(1, 0.02^2) for BatchNorm (test_settings_the_lessons_state_are_the_code)",
            "0.2": "LeakyReLU's slope in D",
            "0.5": "Adam's beta1 (BETA1)",
            "0.9": "D(x) above 0.9: the phase 'D wins outright'",
            "0.1": "D(G(z)) below 0.1: the phase 'D wins outright'",
            "0.99": "the docs preset's moving-average decay",
            "0.999": "the full preset's moving-average decay (EMA_DECAY)",
        },
        figures=frozenset({
            ("dcgan_train", "progress"), ("dcgan_train", "real_vs_generated"), ("dcgan_train", "training_curves"),
            ("dcgan_train", "class_shares"), ("dcgan_latent", "interpolation"), ("dcgan_latent", "nearest_neighbours"),
            ("dcgan_latent", "latent_walk"), ("dcgan_upsampling", "untrained"), ("dcgan_upsampling", "checkerboard_curve"),
            ("dcgan_upsampling", "samples"),
        }),
        # the animation sits between paragraphs that say where it comes from
        captionless=("latent_walk",),
        references=(
            "PyTorchDCGAN", "Springenberg2015", "Dumoulin2016", "Ioffe2015", "Kingma2015", "Yazici2019", "Odena2016",
            "Shoemake1985", "White2016", "Pedregosa2011", "Raschka2018", "Alpaydin1998", "LeCun1998", "Xiao2017",
        ),
        cited_from_elsewhere=("Radford2016", "Karras2018"),
        min_results=5,
        min_outputs=2,
        min_includes=5,
        caption_command=False,
        answers_answer=True,
    ),
    Lesson(
        stem="12_1_3_conditional_gans",
        label="module-12-1-3-conditional-gans",
        level="Intermediate",
        dropdowns=4,
        scripts=("conditional_gan", "dcgan_train"),  # Exercise 4 compares with the DCGAN
        quick_start="conditional_gan",
        decimals={"0.5": "Adam's beta1, as in the DCGAN (BETA1 of dcgan_train.py)"},
        figures=frozenset({("conditional_gan", "class_grid"), ("conditional_gan", "training_curves")}),
        references=("Mirza2014", "Miyato2018", "Odena2017"),
        cited_from_elsewhere=("Brock2019", "Salimans2016"),
        min_results=5,
        min_outputs=2,
        min_includes=5,
        caption_command=False,
        answers_answer=True,
    ),
    Lesson(
        stem="12_1_4_gan_losses",
        label="module-12-1-4-gan-losses",
        level="Intermediate/Advanced",
        dropdowns=5,
        scripts=("gan_losses", "wgan_gp"),
        quick_start="gan_losses",
        decimals={
            "0.001": "the saturation figure's lowest D(G(z))",
            "0.999": "the saturation figure's highest D(G(z)), and Adam's default beta2",
            "0.01": "where gan_losses.py reads the gradients off, and WGAN's clip c",
            "0.99": "where gan_losses.py reads the other gradient off",
            "0.02": "the ring's standard deviation",
            "0.05": "the grid's standard deviation",
            "0.06": "three standard deviations of the ring: the high-quality radius",
            "0.3": "the health monitor's collapse ratio",
            "0.9": "WGAN-GP's beta2, and the classifier's confidence threshold",
        },
        figures=frozenset({
            ("gan_losses", "saturation"), ("gan_losses", "samples_by_loss"), ("gan_losses", "coverage_by_loss"),
            ("wgan_gp", "wasserstein_estimate"), ("wgan_gp", "gradient_norms"), ("wgan_gp", "samples"),
        }),
        references=("Arjovsky2017b", "Gulrajani2017", "Mao2017", "Lim2017", "Villani2009"),
        cited_from_elsewhere=("Arjovsky2017", "Brock2019", "Goodfellow2014", "Miyato2018SN"),
        min_results=20,
        min_outputs=5,
        min_includes=10,
        named_scripts=("gan_losses", "wgan_gp"),
    ),
    Lesson(
        stem="12_1_5_stabilizing_training",
        label="module-12-1-5-stabilizing-training",
        level="Intermediate/Advanced",
        dropdowns=5,
        scripts=("stabilization", "training_monitor"),
        # mode_collapse.py (12.1.6) for the rows of the three fixes the docs preset leaves out
        borrowed_outputs=("mode_collapse",),
        quick_start="stabilization",
        decimals={
            "0.9": "the monitor's confidence threshold, and label smoothing's target",
            "0.1": "the monitor's margin and warm-up share",
            "0.3": "the monitor's collapse ratio",
            "0.5": "the equilibrium D(x) = D(G(z)) = 0.5, and the monitor figure's dotted line",
            "0.02": "the ring's standard deviation",
            "0.05": "the grid's standard deviation, and the share of flipped labels",
            "0.002": "the docs preset's learning rate as the script's first line prints it (lr=0.002)",
        },
        figures=frozenset({("stabilization", "ablation"), ("stabilization", "ablation_samples"), ("training_monitor", "monitor")}),
        references=("Chintala2016", "Heusel2017", "Lin2018", "Mescheder2018", "Miyato2018SN", "Pascanu2013", "Sonderby2017"),
        cited_from_elsewhere=(
            "Arjovsky2017b", "Brock2019", "Goodfellow2014", "Goodfellow2016", "Karras2018", "Metz2017", "Salimans2016",
        ),
        min_outputs=5,
        min_includes=15,
        # "healthy (minibatch std):" is a run's name, a key of a dict, printed as f"{name}:"
        markers_printed=False,
        flag_scripts=("stabilization", "training_monitor"),
        must_mention=("--tricks", "--steps", "--g-slowdown", "--target", "--preset"),
    ),
    Lesson(
        stem="12_1_6_mode_collapse",
        label="module-12-1-6-mode-collapse",
        level="Intermediate/Advanced",
        dropdowns=5,
        scripts=("mode_collapse",),
        borrowed_outputs=("stabilization",),  # Exercise 5 shows stabilization.py's rows
        quick_start="mode_collapse",
        decimals={
            "0.01": "the smaller ring's standard deviation (VEEGAN, PacGAN)",
            "0.05": "the grid's standard deviation",
            "0.06": "3 standard deviations of the ring",
            "0.15": "3 standard deviations of the grid",
            "0.3": "the monitor's collapse threshold",
            "0.9": "label smoothing's target, and Adam's beta",
            "1.0": "a threshold of Exercise 3",
            "2.0": "a threshold of Exercise 3",
            "3.0": "a threshold of Exercise 3",
            "1.5": "the grid's learning rate 1.5e-3",
            "98.9": "a Rayleigh share (test_every_decimal_is_a_setting_a_paper_or_checked_arithmetic)",
            "86.5": "a Rayleigh share",
            "39.3": "a Rayleigh share",
            "99.3": "the published GAN's high-quality share on the ring (PUBLISHED)",
            "3.3": "the published GAN's modes on the grid (PUBLISHED)",
            "0.5": "the published GAN's high-quality share on the grid (PUBLISHED)",
        },
        figures=frozenset({
            ("mode_collapse", "vanilla_ring"), ("mode_collapse", "vanilla_grid"),
            ("mode_collapse", "fixes_ring"), ("mode_collapse", "fixes_grid"),
        }),
        references=("Arora2017", "Metz2017", "Srivastava2017"),
        cited_from_elsewhere=("Goodfellow2014", "Goodfellow2016", "Gulrajani2017", "Karras2018", "Lin2018", "Salimans2016"),
        min_results=20,
        min_outputs=6,
        min_includes=5,
        quick_start_command=False,
        # "ours: vanilla" is a row name the script builds as 'ours: ' + fix
        markers_printed=False,
        named_scripts=("mode_collapse",),
        must_mention=("--save-samples", "--grid-fixes", "--ring-lr", "--grid-lr"),
    ),
    Lesson(
        stem="12_1_7_evaluating_gans",
        label="module-12-1-7-evaluating-gans",
        level="Intermediate/Advanced",
        dropdowns=6,
        scripts=("gan_metrics",),
        quick_start="gan_metrics",
        decimals={
            "0.99": "the docs DCGAN's moving-average decay (DCGAN_PRESETS['docs'].ema_decay)",
            "1.0": "--blur 1.0 in a command line, and the distance the nearest-neighbour check counts below",
            "0.5": "--noise 0.5 in a command line",
        },
        figures=frozenset({
            ("gan_metrics", "metrics_over_training"), ("gan_metrics", "metric_cases"),
            ("gan_metrics", "nearest_training_image"), ("gan_metrics", "sample_size_bias"),
        }),
        references=(
            "Dowson1982", "Szegedy2016", "Kynkaanniemi2019", "Binkowski2018", "Gretton2012", "Naeem2020", "Barratt2018",
            "Theis2016", "Borji2019", "Lucic2018", "Chong2020", "Parmar2022",
        ),
        cited_from_elsewhere=("Heusel2017", "Salimans2016"),
        min_outputs=7,
        min_includes=12,
        quick_start_command=False,
        named_scripts=("gan_metrics",),
        must_mention=(
            "--preset", "--features", "--samples", "--real-images", "--k", "--kid-subsets", "--kid-subset-size", "--sizes",
            "--repeats", "--blur", "--noise", "--seed",
        ),
        include_targets=frozenset({
            "/gallery/12_1_7_evaluating_gans/gan_metrics.py", "/modules/evaluation/feature_metrics.py", "/modules/game/sampling.py",
        }),
    ),
    Lesson(
        stem="12_1_8_image_translation",
        label="module-12-1-8-image-translation",
        level="Advanced",
        dropdowns=5,
        duration="80-95 minutes",
        scripts=("pix2pix", "cyclegan"),
        quick_start="pix2pix",
        decimals={
            "0.5": "the identity weight, a fraction of the cycle weight (IDENTITY_WEIGHT), and pix2pix's dropout rate",
            "0.0": "l1_weight=0.0, the first line of the Quick Start's literalinclude",
            "100.0": "the L1 weight of the pix2pix trainer call the prose shows (test_the_pix2pix_call_shown_is_the_recipes)",
        },
        figures=frozenset({
            ("pix2pix", "l1_effect"), ("pix2pix", "pairs"), ("pix2pix", "held_out_error"), ("pix2pix", "outputs_over_training"),
            ("cyclegan", "domains"), ("cyclegan", "round_trips"), ("cyclegan", "without_cycle"),
        }),
        references=("Isola2017", "Zhu2017", "Ronneberger2015", "Li2016", "Shrivastava2017", "Chu2017", "Liu2017"),
        cited_from_elsewhere=("Mao2017", "Mirza2014"),
        min_results=20,
        min_outputs=2,
        min_includes=11,
        # "GAN only (L1 weight 0)" is a run's name the script builds from a dict key and its weight
        markers_printed=False,
        must_mention=(
            "--preset", "--l1-weight", "--d-layers", "--cycle-weight", "--identity-weight", "--history", "--depth",
            "--image-size", "--data-dir", "--direction", "--seed",
        ),
        answers_answer=True,
        include_targets=frozenset({
            "/gallery/12_1_8_image_translation/pix2pix.py", "/modules/game/games.py", "/modules/game/terms.py",
            "/modules/networks/translation.py", "/modules/data/translation.py", "/modules/experiments/translation.py",
        }),
        include_objects=frozenset({
            "UNetGenerator.forward", "PatchDiscriminator.forward", "receptive_field", "ImageHistory.query", "best_constant_l1",
        }),
    ),
    Lesson(
        stem="12_1_9_style_based_generators",
        label="module-12-1-9-style-based-generators",
        level="Advanced",
        dropdowns=6,
        duration="100-115 minutes",
        scripts=("stylegan_lite",),
        quick_start="stylegan_lite",
        decimals={
            "0.9": "the probability of style mixing per training batch (MIXING_PROB, StyleRecipe.mixing_prob)",
            "0.1": "the course's learning-rate multiplier of the mapping network",
            "0.01": "StyleGAN's learning-rate multiplier of the mapping network (EqualizedLinear's docstring)",
            "0.995": "the decay of the tracked average w (w_avg_beta)",
            "0.99": "the docs preset's moving-average decay, and Adam's beta2",
            "0.999": "the full preset's moving-average decay",
            "0.8": TRUNCATION,
            "0.6": TRUNCATION,
            "0.4": TRUNCATION,
            "0.2": f"{TRUNCATION}, and LeakyReLU's slope",
            "0.5": "--psi 1,0.5,0 in a command line",
            "1.5": "--psi 1.5, a value the flag refuses",
            "0.0": "what the snippet of Exercise 6 prints for mixing a latent with itself (run by a test)",
        },
        figures=frozenset({
            ("stylegan_lite", label) for label in (
                "architecture", "style_mixing", "progressive_growing", "samples", "progress", "crossover_strip",
                "truncation", "noise", "training_curves",
            )
        }),
        references=("Huang2017", "Ulyanov2016", "Dumoulin2017", "Marchesi2017", "Karras2020", "Karras2021"),
        cited_from_elsewhere=("Karras2019", "Karras2018", "Brock2019", "LeCun1998", "Raschka2018", "Mescheder2018"),
        min_outputs=5,
        min_includes=12,
        named_scripts=("stylegan_lite",),
        must_mention=("--preset", "--mixing-prob", "--psi", "--crossover", "--mapping-layers", "--steps", "--dataset", "--image-size"),
        include_targets=frozenset({
            "/gallery/12_1_9_style_based_generators/stylegan_lite.py", "/modules/networks/stylegan.py", "/modules/networks/dcgan.py",
        }),
        include_objects=frozenset({
            "MappingNetwork", "StyledConv.forward", "StyleGenerator.forward", "StyleGenerator.truncate", "StyleGenerator.mix",
            "build_style_gan", "batch_spread",
        }),
    ),
)

BY_STEM = {lesson.stem: lesson for lesson in LESSONS}
