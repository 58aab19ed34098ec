"""
Measuring GANs: FID, KID, Inception Score, precision and recall
===============================================================

Lesson :ref:`module-12-1-7-evaluating-gans`, the lesson's script.

Every number here is computed, not quoted: the metrics of :mod:`modules.evaluation.feature_metrics`
on the course's own generators.  The script

1. measures the DCGAN of lesson 12.1.2 at every stage of its training, and the
   conditional DCGAN of lesson 12.1.3 at the end;
2. builds "generators" whose flaws are known (dropped classes, blur, noise, copies of
   the training images) and shows which metric sees which flaw, and the
   nearest-neighbour check that catches the copier FID rewards;
3. shows that FID is biased at small sample sizes, and KID is not.

The features come from a pretrained network.  The docs preset uses the course's
small digit classifier (offline, seconds); the full preset uses torchvision's
Inception-v3, the network of the FID papers, which needs a one-time download of its
weights.  The generators are the ones lessons 12.1.2 and 12.1.3 train: the script
finds them in the model cache, or trains them itself when they are missing.

Run it yourself::

    python gan_metrics.py                      # full preset: MNIST DCGANs, Inception features (downloads)
    python gan_metrics.py --preset docs        # the quick run this page shows (offline)
    python gan_metrics.py --preset docs --k 5 --samples 500
    python gan_metrics.py --preset docs --sizes 100,250,500 --repeats 10
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--features``, ``--samples``, ``--k``,
# ``--kid-subsets``, ``--kid-subset-size``, ``--sizes``, ``--repeats``,
# ``--real-images``, ``--blur``, ``--noise``, ``--seed``).

FEATURES = "inception"  # digits: the course's digit classifier (offline); inception: torchvision's Inception-v3 (download)
SAMPLES = 10000  # generated images per evaluation
REAL_IMAGES = 10000  # held-out real images the generated ones are compared with (at most; the FID-bias experiment needs twice its largest size)
K = 3  # the neighbour that sets the radius of each ball in precision and recall
KID_SUBSETS = 100  # random subsets KID averages over
KID_SUBSET_SIZE = 1000  # samples per subset
SIZES = "2500,5000"  # sample sizes of the FID-bias experiment (each of the two sets: 2 x the largest <= REAL_IMAGES)
REPEATS = 3  # draws per sample size
BLUR = 2.0  # standard deviation (pixels at 32x32) of the blur in the constructed cases
NOISE = 1.0  # standard deviation of the noise added in the constructed cases (images in [-1, 1])
SEED = 0
DOCS_PRESET = {"features": "digits", "samples": 1000, "real_images": 1000, "kid_subsets": 50, "kid_subset_size": 500, "sizes": [100, 200, 300, 500], "repeats": 100}

# sphinx_gallery_thumbnail_number = 2

# %%
import torch
import torch.nn.functional as F

from modules.cli import Option, at_least, fail, or_exit, parse_script_args, positive
from modules.evaluation.feature_metrics import FEATURE_EXTRACTORS, check_sample_size, feature_dim, feature_extractor, frechet_distance, generated_images, inception_score, kernel_inception_distance, precision_recall
from modules.evaluation.metrics import nearest_neighbours
from modules.figures.plotting import plot_distance_histograms, plot_metric_cases, plot_metrics_over_training, plot_sample_size_bias
from modules.figures.output import show_figures
from modules.data.images import load_image_dataset
from modules.experiments.dcgan import CONDITIONAL_PRESETS, DCGAN_PRESETS, pretrained_gan
from modules.storage.results import record


def size_list(text):
    """Flag type: ``"100,200"`` -> ``[100, 200]``."""
    return [int(s) for s in str(text).split(",") if s.strip()]


args = parse_script_args(
    [
        Option("features", FEATURES, str, "feature extractor", choices=list(FEATURE_EXTRACTORS)),
        Option("samples", SAMPLES, int, "generated images per evaluation", at_least(2)),
        Option("real_images", REAL_IMAGES, int, "real images to compare with (at most)", at_least(2)),
        Option("k", K, int, "neighbour that sets the radius in precision and recall", at_least(1)),
        Option("kid_subsets", KID_SUBSETS, int, "random subsets KID averages over", at_least(1)),
        Option("kid_subset_size", KID_SUBSET_SIZE, int, "samples per KID subset", at_least(2)),
        Option("sizes", size_list(SIZES), size_list, "comma-separated sample sizes for the FID-bias experiment", lambda v: None if v and min(v) >= 2 else "must be sizes of at least 2"),
        Option("repeats", REPEATS, int, "draws per sample size", at_least(1)),
        Option("blur", BLUR, float, "blur of the 'blurred' case (pixels)", positive),
        Option("noise", NOISE, float, "noise of the 'noisy' case", positive),
    ],
    DOCS_PRESET,
    description="Compute FID, KID, Inception Score, precision and recall for the course's GANs.",
    seed=SEED,
)
dcgan_recipe, cgan_recipe = DCGAN_PRESETS[args.preset], CONDITIONAL_PRESETS[args.preset]
print(f"preset={args.preset} features={args.features} samples={args.samples} k={args.k} device={args.device}")


def metric_error(err: Exception) -> None:
    """A metric refused its input (too few samples for the feature dimension, k too
    large...): one line and exit status 2, with the flag to change."""
    fail(f"{err} (see --samples, --real-images, --k, --sizes)")


# %%
# The judge and the real images
# -----------------------------
# A feature extractor turns every image into a vector; all four metrics compare
# *vectors*.  The real images are held-out digits: images that neither the
# generators nor the judge saw in training (for the docs preset, the 1,000 held-out
# digits of ``mnist-5k``; for the full preset, MNIST's 10,000 test digits).

dataset = or_exit(dcgan_recipe.load_data)  # the generators' training images
held = or_exit(load_image_dataset, dcgan_recipe.dataset, dcgan_recipe.image_size, dcgan_recipe.channels, train=False)
rng = torch.Generator().manual_seed(args.seed)
pick = torch.randperm(len(held), generator=rng)[: args.real_images]
real, real_labels = held.tensors(pick)

# Enough samples for every metric below?  Better to stop now than after training
# the judge (or downloading it) and the generators.
half = len(real) // 2
try:
    for n in (args.samples, half // 2, *args.sizes):  # half // 2: about the size of the smallest case
        check_sample_size(n, feature_dim(args.features), k=args.k)
except ValueError as err:
    metric_error(err)
if 2 * max(args.sizes) > len(real):
    fail(f"--sizes {max(args.sizes)} needs 2 x {max(args.sizes)} real images, but only {len(real)} are used (see --real-images)")

try:
    judge = feature_extractor(args.features, device=args.device)
except RuntimeError as err:  # the Inception weights could not be downloaded
    fail(f"{err}; --features digits works offline")

real_features = judge.features(real)
print(f"real data: {held.name}, {len(real)} held-out images {held.image_size}x{held.image_size} (the generators trained on {len(dataset)} others); {judge.dim} features per image")


def evaluate(images: torch.Tensor, reference: torch.Tensor = real_features) -> dict[str, float]:
    """All metrics of ``images`` against the ``reference`` features."""
    feats, probabilities = judge.features_and_probabilities(images)  # one pass through the judge
    try:
        kid, kid_std = kernel_inception_distance(feats, reference, subsets=args.kid_subsets, subset_size=args.kid_subset_size, seed=args.seed)
        pr = precision_recall(reference, feats, k=args.k)
        return {
            "fid": frechet_distance(feats, reference),
            "kid": kid,
            "kid_std": kid_std,
            "precision": pr.precision,
            "recall": pr.recall,
            "is": inception_score(probabilities, splits=min(10, len(images)))[0],
        }
    except ValueError as err:
        metric_error(err)


def kid_format(kid: float) -> str:
    # KID's scale follows the features' (a cubic kernel): thousands for the digit
    # classifier's features, hundredths for Inception's
    return ".2f" if abs(kid) >= 1 else ".4f"


FORMATS = {"fid": ".2f", "kid_std": ".2f", "precision": ".3f", "recall": ".3f", "is": ".2f"}


def row(name: str, m: dict[str, float]) -> str:
    kid = format(m["kid"], kid_format(m["kid"]))
    return f"{name:<24} {m['fid']:>8.2f} {kid:>9} {m['precision']:>10.3f} {m['recall']:>7.3f} {m['is']:>6.2f}"


def record_metrics(prefix: str, m: dict[str, float]) -> None:
    """Record every metric of one row for the lesson: ``<prefix>_fid``, ``<prefix>_kid``..."""
    for key, value in m.items():
        record(f"{prefix}_{key}", value, kid_format(value) if key == "kid" else FORMATS[key])


def listing(items: list[str]) -> str:
    """``"a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


HEADER = f"{'':<24} {'FID':>8} {'KID':>9} {'precision':>10} {'recall':>7} {'IS':>6}"


# %%
# The floor: real against real
# ----------------------------
# Two halves of the real images, each scored against the other.  No generator can
# be expected to do better than this at the same sample size: FID is not 0 here,
# precision and recall are not 1.

floor = evaluate(real[:half], judge.features(real[half : 2 * half]))
print(f"\n{HEADER}\n{row(f'real vs real ({half} each)', floor)}")
record_metrics("floor", floor)
record("half", half, ",")

# %%
# The DCGAN over training
# -----------------------
# The trainer kept a copy of the generator's weights (its moving average) at nine
# points of training.  Each copy draws the same latent vectors, and its samples are
# scored against the real images.

dcgan = or_exit(pretrained_gan, dcgan_recipe, args.device, dataset)
progress = {}
print(f"\nDCGAN of lesson 12.1.2 ({args.samples} samples at each step)\n{'step':<24}{HEADER[24:]}")
for step, _ in dcgan.history.weights:
    progress[step] = evaluate(generated_images(dcgan, args.samples, seed=args.seed + 1, epoch=step))
    print(row(f"{step}", progress[step]))

steps = list(progress)
record("progress", {str(s): m for s, m in progress.items()})
# The flat phase: every step up to this one keeps at least 3/4 of the first FID
fids = [progress[s]["fid"] for s in steps]
flat = 0
while flat + 1 < len(steps) and fids[flat + 1] > 0.75 * fids[0]:
    flat += 1
flat_steps = steps[: flat + 1]
record("flat_until", steps[flat])
record("flat_span", "before training, at step 0" if flat == 0 else f"from step 0 to step {steps[flat]}")
record("flat_sentence", "Every metric moves towards the real data from the first report after step 0"
       if flat == 0 else f"Through step {steps[flat]} FID stays within a quarter of its first value; then every metric moves towards the real data")
record("dcgan_fid_first", fids[0], ".2f")
record("flat_fid_last", fids[flat], ".2f")
record("flat_kid_min", min(progress[s]["kid"] for s in flat_steps), ".2f")
record("flat_is_max", max(progress[s]["is"] for s in flat_steps), ".2f")
record("flat_pr_max", max(max(progress[s]["precision"], progress[s]["recall"]) for s in flat_steps), ".3f")
record("fid_after_flat", listing([f"{fids[i]:.2f} at step {steps[i]}" for i in range(flat + 1, len(steps))]) if flat + 1 < len(steps) else "none")
record("fid_fall", fids[0] / fids[-1], ".0f")
first_p = next((s for s in steps if progress[s]["precision"] > 0), None)
first_r = next((s for s in steps if progress[s]["recall"] > 0), None)
if first_p is None and first_r is None:
    onset = "Neither ever leaves 0."
elif first_r is None or (first_p is not None and first_p < first_r):
    onset = f"Precision appears first ({progress[first_p]['precision']:.3f} at step {first_p}), then recall."
elif first_p is None or first_r < first_p:
    onset = f"Recall appears first ({progress[first_r]['recall']:.3f} at step {first_r}), then precision."
else:
    onset = f"Precision and recall appear together, at step {first_p}."
record("pr_onset", onset)

fig = plot_metrics_over_training(steps, {key: [progress[s][key] for s in steps] for key in ("fid", "kid", "precision", "recall")}, floor)

# %%
# The conditional DCGAN
# ---------------------
# Lesson 12.1.3's generator, asked for each digit equally often.  Its labels make it
# cover every class by construction, which recall and the Inception Score reward.

cgan = or_exit(pretrained_gan, cgan_recipe, args.device, dataset)
labels = torch.arange(args.samples) % dataset.num_classes
final = {"DCGAN": progress[steps[-1]], "conditional DCGAN": evaluate(generated_images(cgan, args.samples, seed=args.seed + 1, labels=labels))}
print(f"\nfinal generators ({dcgan_recipe.steps} and {cgan_recipe.steps} steps)\n{HEADER}")
for name, m in final.items():
    print(row(name, m))
record_metrics("dcgan", final["DCGAN"])
record_metrics("cgan", final["conditional DCGAN"])
record("dcgan_steps", dcgan_recipe.steps, ",")
record("cgan_steps", cgan_recipe.steps, ",")

# %%
# Flaws with known answers
# ------------------------
# Fake "generators" made from real images, scored against the first half of the
# real images (their "training set"); the held-out second half is the honest
# reference.  Each case has one known flaw.


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """A Gaussian blur of standard deviation ``sigma`` pixels (at 32x32; scaled with
    the image size) of every image."""
    sigma = sigma * images.shape[-1] / 32
    radius = max(1, round(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel1d = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = torch.outer(kernel1d, kernel1d)
    kernel = (kernel / kernel.sum()).expand(images.shape[1], 1, 2 * radius + 1, 2 * radius + 1)
    return F.conv2d(F.pad(images, (radius,) * 4, mode="replicate"), kernel, groups=images.shape[1])


train_half, held_out = real[:half], real[half : 2 * half]
noise = torch.randn(held_out.shape, generator=torch.Generator().manual_seed(args.seed + 2))
wrecked = (torch.arange(half) % 2 == 1).view(-1, 1, 1, 1)  # "half junk": every other image drowned in noise
cases = {
    "held-out real": held_out,
    "half the classes": held_out[real_labels[half : 2 * half] < dataset.num_classes // 2],
    "half junk": torch.where(wrecked, (held_out + 1.5 * noise).clamp(-1, 1), held_out),
    "blurred": blurred(held_out, args.blur),
    "noisy": (held_out + args.noise * noise).clamp(-1, 1),
    "copies of training set": train_half,
}
train_features = judge.features(train_half)
scores = {name: evaluate(images, train_features) for name, images in cases.items()}
print(f"\nconstructed cases, against the {half} 'training' images\n{HEADER}")
for name, m in scores.items():
    print(row(name, m))
fig = plot_metric_cases(cases, scores)
short = {"held-out real": "held", "half the classes": "classes", "half junk": "junk", "blurred": "blurred", "noisy": "noisy", "copies of training set": "copies"}
for name, m in scores.items():
    record_metrics(f"case_{short[name]}", m)
by_fid = sorted(scores, key=lambda name: scores[name]["fid"])
record("fid_ranking", listing([f"{name.removesuffix(' of training set')} ({scores[name]['fid']:.2f})" for name in by_fid]))

# %%
# The check that catches a copier
# -------------------------------
# FID, KID, precision and recall all call the copier perfect.  What gives it away
# is the distance from each sample to its nearest training image: a copy sits at 0,
# a new image as far away as a held-out real image does.  Here "training images"
# are the DCGAN's own: every image it trained on.

training, _ = dataset.tensors()
copies = training[torch.randperm(len(training), generator=torch.Generator().manual_seed(args.seed + 3))[:half]]
distances = {
    "held-out real": nearest_neighbours(real[:half], training)[0][:, 0],
    "DCGAN samples": nearest_neighbours(generated_images(dcgan, half, seed=args.seed + 3), training)[0][:, 0],
    "copies of training set": nearest_neighbours(copies, training)[0][:, 0],
}
print(f"\nmedian Euclidean distance to the nearest of the DCGAN's {len(training)} training images (all pixel values, images in [-1, 1]):")
for name, d in distances.items():
    print(f"  {name:<24} {d.median():.2f}   (share closer than 1.0: {(d < 1.0).float().mean():.1%})")
for name, key in (("held-out real", "held"), ("DCGAN samples", "dcgan"), ("copies of training set", "copies")):
    record(f"nearest_{key}", distances[name].median(), ".2f")
    record(f"closer_{key}", (distances[name] < 1.0).float().mean(), ".1%")
fig = plot_distance_histograms(distances)

# %%
# FID's bias with sample size
# ---------------------------
# Two disjoint random draws of N real images each, for growing N, ``--repeats``
# times: the true distance between the two distributions is 0.  FID's estimate
# starts far above 0 and creeps down as N grows; KID's scatters around 0 at every N.

draw = torch.Generator().manual_seed(args.seed + 4)
bias = {}
print(f"\nreal vs real at growing sample size ({args.repeats} draws each): mean +- std over the draws [standard error of the mean]")
for n in args.sizes:
    fids, kids = [], []
    for _ in range(args.repeats):
        order = torch.randperm(len(real_features), generator=draw)
        a, b = real_features[order[:n]], real_features[order[n : 2 * n]]
        try:
            fids.append(frechet_distance(a, b))
            kids.append(kernel_inception_distance(a, b, subsets=1, subset_size=n)[0])
        except ValueError as err:
            metric_error(err)
    bias[n] = (torch.tensor(fids), torch.tensor(kids, dtype=torch.float64))
    f, k = bias[n]
    se = lambda t: t.std(unbiased=False).item() / len(t) ** 0.5  # noqa: E731
    print(f"  N = {n:>5}: FID {f.mean():7.2f} +- {f.std(unbiased=False):6.2f} [{se(f):5.2f}]   KID {k.mean():9.2f} +- {k.std(unbiased=False):8.2f} [{se(k):6.2f}]")

record("bias", {n: {"fid_mean": f.mean(), "fid_std": f.std(unbiased=False), "kid_mean": k.mean(), "kid_std": k.std(unbiased=False), "kid_min": k.min()} for n, (f, k) in bias.items()})
fid_means = {n: bias[n][0].mean().item() for n in args.sizes}
kid_means = {n: bias[n][1].mean().item() for n in args.sizes}
kid_ses = {n: bias[n][1].std(unbiased=False).item() / args.repeats**0.5 for n in args.sizes}
first_n, last_n = args.sizes[0], args.sizes[-1]
record("bias_fid_means", listing([f"{fid_means[n]:.2f} at " + (f"N = {n}" if n == first_n else f"{n}") for n in args.sizes]))
nfid = [n * fid_means[n] for n in args.sizes]
record("nfid_low", 100 * int(min(nfid) // 100), ",")
record("nfid_high", 100 * int(-(-max(nfid) // 100)), ",")
record("bias_fid_first", fid_means[first_n], ".2f")
record("bias_fid_last", fid_means[last_n], ".2f")
record("bias_fid_fall", fid_means[first_n] / fid_means[last_n], ".0f")
record("bias_kid_means", listing([f"{kid_means[n]:.2f}" for n in args.sizes]))
record("bias_kid_ses", listing([f"{kid_ses[n]:.2f}" for n in args.sizes]))
record("bias_kid_z_max", max(abs(kid_means[n]) / kid_ses[n] for n in args.sizes), ".1f")
record("bias_kid_std_first", bias[first_n][1].std(unbiased=False), ".2f")
record("bias_kid_min_first", bias[first_n][1].min(), ".2f")
record("bias_first_n", first_n)
record("bias_last_n", last_n)

fig = plot_sample_size_bias(
    args.sizes,
    ([bias[n][0].mean().item() for n in args.sizes], [bias[n][0].std(unbiased=False).item() for n in args.sizes]),
    ([bias[n][1].mean().item() for n in args.sizes], [bias[n][1].std(unbiased=False).item() for n in args.sizes]),
)
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
