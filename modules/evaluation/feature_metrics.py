r"""How good is a generator?  The standard GAN evaluation metrics, computed carefully.

A generator is judged by comparing *features* of its samples with features of real
images, where the features come from a pretrained network (a
:class:`FeatureExtractor`): the course's small digit classifier offline
(:class:`DigitFeatures`), or the Inception-v3 network of the papers
(:class:`InceptionFeatures`).  On those features:

* :func:`frechet_distance` (FID with Inception features): summarise each set by a
  Gaussian and measure how far apart the two Gaussians are (the squared Fréchet, or
  2-Wasserstein, distance).  One number, lower is
  better, but biased upwards for small samples.
* :func:`kernel_inception_distance` (KID): a squared maximum mean discrepancy with a
  polynomial kernel; unbiased, so it can be compared across sample sizes.
* :func:`precision_recall`: two numbers that separate *quality* (do the fakes look
  real?) from *diversity* (do the fakes cover everything real?).
* :func:`inception_score` (IS): needs only the class probabilities of the fakes:
  confident predictions spread evenly over the classes score high.

Every metric works in float64 and checks its input, raising :class:`ValueError`
with one sentence that says what is wrong and what to do.

Introduced in lesson 12.1.7 (Evaluating GANs).
"""

from __future__ import annotations

import functools
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from modules.networks.classifier import FEATURE_DIM, DigitClassifier
from modules.evaluation.classifier import ClassifierRecipe, class_probabilities, classifier_features, pretrained_classifier
from modules.game.runtime import torch_threads

__all__ = [
    "SingularCovarianceError",
    "check_sample_size",
    "feature_statistics",
    "frechet_distance_from_statistics",
    "frechet_distance",
    "inception_score",
    "PrecisionRecall",
    "precision_recall",
    "kernel_inception_distance",
    "FeatureExtractor",
    "DigitFeatures",
    "digit_features",
    "InceptionFeatures",
    "FEATURE_EXTRACTORS",
    "feature_dim",
    "feature_extractor",
    "generated_images",
]

# Bytes of float64 distances one chunk of a pairwise-distance matrix may take: 10,000
# x 10,000 distances (800 MB at once) are computed about 64 MB at a time instead.
_CHUNK_BYTES = 64 * 2**20


_F = TypeVar("_F", bound=Callable)


def _one_thread(function: _F) -> _F:
    """Run ``function`` with one PyTorch CPU thread.  The metrics do many small
    matrix operations (64 x 64 covariances, a few hundred samples), for which
    starting and synchronising a thread pool costs far more than the arithmetic:
    on a busy 2-core machine a 64 x 64 eigendecomposition took 0.13 s with two
    threads and 0.7 ms with one."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with torch_threads(1):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class SingularCovarianceError(ValueError):
    """Too few samples for the feature dimension: the sample covariance is singular.

    A :class:`ValueError`, so ``except ValueError`` catches it too.
    """


# ---------------------------------------------------------------------------------
# Checking inputs
# ---------------------------------------------------------------------------------
def _as_features(features: torch.Tensor, name: str = "features") -> torch.Tensor:
    """``features`` as a float64 ``(n, d)`` tensor with n >= 2 and only finite values."""
    if features.ndim != 2:
        raise ValueError(f"{name} must be a 2-D tensor (n samples, d feature dimensions), got shape {tuple(features.shape)}")
    x = features.detach().double()
    if len(x) < 2:
        raise ValueError(f"{name} must hold at least 2 samples to estimate a spread, got {len(x)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contain NaN or inf values; check the generator's output and the feature extractor")
    return x


def _as_feature_pair(features_a: torch.Tensor, features_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both feature sets checked by :func:`_as_features`, with the same dimension."""
    a, b = _as_features(features_a, "features_a"), _as_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets must have the same feature dimension, got {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


# ---------------------------------------------------------------------------------
# Fréchet distance (FID)
# ---------------------------------------------------------------------------------
@_one_thread
def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, covariance)`` of ``(n, d)`` features in float64: the Gaussian that
    :func:`frechet_distance` compares.

    The covariance is the unbiased sample covariance (divided by n - 1), as in
    pytorch-fid.  It has rank at most n - 1, so n <= d samples give a singular
    covariance and :class:`SingularCovarianceError`: use at least d + 1 samples,
    ideally ten times d or more (FID on Inception's 2,048 features uses 10,000 or
    50,000 images).  Compute the statistics of the real images once and reuse them
    with :func:`frechet_distance_from_statistics`.
    """
    x = _as_features(features)
    n, d = x.shape
    check_sample_size(n, d)
    return x.mean(dim=0), torch.cov(x.T).reshape(d, d)


def check_sample_size(n: int, d: int, k: int | None = None) -> None:
    """Raise :class:`ValueError` when ``n`` samples of ``d``-dimensional features are
    too few: for a covariance (FID needs n > d, else
    :class:`SingularCovarianceError`) or, when ``k`` is given, for the k-th nearest
    other sample of precision and recall (k < n).  Scripts call it before any
    expensive work, the metrics call it on their inputs."""
    if n <= d:
        raise SingularCovarianceError(
            f"{n} samples of {d}-dimensional features give a singular covariance (rank < d = {d}); "
            f"use at least d + 1 = {d + 1} samples, ideally many more (e.g. 10 x d = {10 * d}), or lower-dimensional features"
        )
    if k is not None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got k={k}")
        if k >= n:
            raise ValueError(f"k={k} needs at least k+1 = {k + 1} samples in each set (a k-th nearest other sample), but a set has {n}")


def _trace_sqrt_product(cov_a: torch.Tensor, cov_b: torch.Tensor) -> torch.Tensor:
    r"""tr((cov_a cov_b)^(1/2)) through symmetric eigendecompositions only.

    With R = cov_a^(1/2), the matrices cov_a cov_b = R (R cov_b) and R cov_b R =
    (R cov_b) R are products of the same two factors in the two orders, so they have
    the same eigenvalues; the second is symmetric positive semi-definite, so its
    eigenvalues are real and >= 0 (up to rounding, which the clamp removes).
    """
    values, vectors = torch.linalg.eigh(cov_a)
    root_a = (vectors * values.clamp_min(0).sqrt()) @ vectors.T  # cov_a^(1/2)
    middle = root_a @ cov_b @ root_a
    middle = (middle + middle.T) / 2  # symmetric exactly, not just up to rounding
    return torch.linalg.eigvalsh(middle).clamp_min(0).sqrt().sum()


@_one_thread
def frechet_distance_from_statistics(
    mu_a: torch.Tensor, cov_a: torch.Tensor, mu_b: torch.Tensor, cov_b: torch.Tensor, eps: float = 1e-6
) -> float:
    r"""The *squared* Fréchet (2-Wasserstein) distance between the Gaussians
    N(mu_a, cov_a) and N(mu_b, cov_b), as FID reports it:

    .. math:: \lVert \mu_a - \mu_b \rVert^2 + \operatorname{tr}\big(\Sigma_a + \Sigma_b - 2 (\Sigma_a \Sigma_b)^{1/2}\big)

    Use it with statistics from :func:`feature_statistics` (or published ones) to
    avoid recomputing the real images' statistics for every evaluation; see
    :func:`frechet_distance` for how the matrix square root is computed.
    """
    mu_a, mu_b, cov_a, cov_b = (t.detach().double() for t in (mu_a, mu_b, cov_a, cov_b))
    d = mu_a.shape[-1] if mu_a.ndim == 1 else -1
    if mu_a.ndim != 1 or mu_b.shape != (d,) or cov_a.shape != (d, d) or cov_b.shape != (d, d):
        raise ValueError(
            f"the statistics must be two means of shape (d,) and two covariances of shape (d, d) with the same feature dimension d, "
            f"got {tuple(mu_a.shape)}, {tuple(cov_a.shape)}, {tuple(mu_b.shape)} and {tuple(cov_b.shape)}"
        )
    if not all(torch.isfinite(t).all() for t in (mu_a, mu_b, cov_a, cov_b)):
        raise ValueError("the statistics contain NaN or inf values; check the features they were computed from")
    mean_term = (mu_a - mu_b).pow(2).sum()

    def distance(cov_a: torch.Tensor, cov_b: torch.Tensor) -> torch.Tensor:
        try:
            return mean_term + cov_a.trace() + cov_b.trace() - 2 * _trace_sqrt_product(cov_a, cov_b)
        except torch.linalg.LinAlgError:  # an eigendecomposition did not converge
            return torch.tensor(math.nan, dtype=torch.float64)

    result = distance(cov_a, cov_b)
    if not torch.isfinite(result):
        # near-singular covariances: regularise both, as pytorch-fid does (it adds
        # eps * I inside the square root only; here the traces get it too, so two
        # identical covariances still give exactly 0)
        offset = eps * torch.eye(d, dtype=torch.float64)
        result = distance(cov_a + offset, cov_b + offset)
        if not torch.isfinite(result):
            raise ValueError(f"the Fréchet distance is not finite even with {eps} * I added to both covariances; the features are too extreme to compare")
    return max(0.0, result.item())  # a true distance is >= 0; clip rounding noise


@_one_thread
def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor, eps: float = 1e-6) -> float:
    r"""The *squared* Fréchet (2-Wasserstein) distance between two clouds of feature
    vectors, each summarised by a Gaussian (mean and covariance,
    :func:`feature_statistics`), as FID reports it:

    .. math:: \lVert \mu_a - \mu_b \rVert^2 + \operatorname{tr}\big(\Sigma_a + \Sigma_b - 2 (\Sigma_a \Sigma_b)^{1/2}\big)

    0 for identical statistics, larger the further apart the clouds are.  With the
    features of Inception-v3 (:class:`InceptionFeatures`) it is the FID of Heusel et
    al. (2017); with the digit classifier's features (:class:`DigitFeatures`) the
    same idea, offline.  Lesson 12.1.4 tracks it over training.

    **How it is computed.**  Everything is float64.  The only hard part is the trace
    of the matrix square root.  The usual route, ``scipy.linalg.sqrtm(S_a @ S_b)``,
    works on a non-symmetric matrix and can return tiny imaginary parts from
    rounding, which implementations such as pytorch-fid check and throw away.  Here
    tr((S_a S_b)^(1/2)) is the sum of the square roots of the eigenvalues of the
    symmetric positive semi-definite matrix S_a^(1/2) S_b S_a^(1/2) (it has the same
    eigenvalues as S_a S_b), with S_a^(1/2) from ``torch.linalg.eigh`` and negative
    rounding noise in the eigenvalues clamped to 0: only symmetric
    eigendecompositions, so no complex numbers ever arise.  If the result is still
    not finite or an eigendecomposition fails (near-singular covariances), both
    covariances get ``eps`` times the identity added and the computation is
    repeated, as pytorch-fid does.

    **Sample size.**  ``(n, d)`` inputs with n > d each (else
    :class:`SingularCovarianceError`).  The estimate is biased upwards: two samples
    of the *same* distribution give a positive distance that shrinks as n grows, so
    only compare distances measured on equally many samples (or use
    :func:`kernel_inception_distance`, which is unbiased).
    """
    a, b = _as_feature_pair(features_a, features_b)
    mu_a, cov_a = feature_statistics(a)
    mu_b, cov_b = feature_statistics(b)
    return frechet_distance_from_statistics(mu_a, cov_a, mu_b, cov_b, eps=eps)


# ---------------------------------------------------------------------------------
# Inception score
# ---------------------------------------------------------------------------------
@_one_thread
def inception_score(probabilities: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    r"""``(mean, std)`` of the Inception Score (Salimans et al., 2016) over ``splits``
    parts of the samples:

    .. math:: \mathrm{IS} = \exp\Big(\mathbb{E}_x\, \mathrm{KL}\big(p(y \mid x) \,\Vert\, p(y)\big)\Big)

    ``probabilities`` is ``(n, classes)``: a classifier's p(y|x) for n generated
    samples (each row sums to 1).  p(y) is the average row of a part.  The score is
    high when every prediction is confident (p(y|x) peaked) *and* the predictions
    spread over all classes (p(y) flat): from 1 (every sample gets the same
    prediction) to the number of classes (confident and perfectly balanced).  It
    never looks at real images, so it cannot tell whether the samples look like the
    training data.  The parts are as equal as possible (``torch.tensor_split``); the
    std is the population std (ddof 0) of the per-part scores, as in the original code.
    """
    if probabilities.ndim != 2:
        raise ValueError(f"probabilities must be a 2-D tensor (n samples, classes), got shape {tuple(probabilities.shape)}")
    p = probabilities.detach().double()
    n = len(p)
    if torch.isnan(p).any():
        raise ValueError("probabilities contain NaN values; check the classifier's output")
    if (p < 0).any() or not torch.allclose(p.sum(dim=1), torch.ones(n, dtype=torch.float64), rtol=0, atol=1e-3):
        raise ValueError("every row of probabilities must be non-negative and sum to 1 (within 1e-3); pass softmax outputs, not logits")
    if not 1 <= splits <= n:
        raise ValueError(f"splits must be between 1 and the number of samples ({n}), got {splits}")
    scores = []
    for part in torch.tensor_split(p, splits):
        marginal = part.mean(dim=0, keepdim=True)  # p(y) of this part
        # KL(p(y|x) || p(y)) per sample; xlogy makes 0 * log 0 = 0
        kl = (torch.xlogy(part, part) - torch.xlogy(part, marginal)).sum(dim=1)
        scores.append(kl.mean().exp())
    scores_t = torch.stack(scores)
    return scores_t.mean().item(), scores_t.std(unbiased=False).item()


# ---------------------------------------------------------------------------------
# Precision and recall
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrecisionRecall:
    """Improved precision and recall (see :func:`precision_recall`)."""

    precision: float  # share of fake samples that lie on the real manifold: quality
    recall: float  # share of real samples that lie on the fake manifold: diversity
    k: int  # the neighbour that sets each ball's radius

    def __str__(self) -> str:
        return f"precision {self.precision:.3f}, recall {self.recall:.3f} (k={self.k})"


def _chunk_rows(num_columns: int) -> int:
    """Rows per chunk so that a chunk of float64 distances stays below ``_CHUNK_BYTES``."""
    return max(1, _CHUNK_BYTES // (8 * max(1, num_columns)))


def _kth_neighbour_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """The distance of every row of ``x`` to its k-th nearest *other* row.  Each row
    is at distance 0 from itself, the smallest, so that is the (k+1)-th smallest."""
    return torch.cat([torch.cdist(chunk, x).topk(k + 1, dim=1, largest=False).values[:, -1] for chunk in x.split(_chunk_rows(len(x)))])


def _share_inside(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """The share of ``queries`` within ``radii[j]`` of at least one ``centres[j]``."""
    inside = sum(int((torch.cdist(chunk, centres) <= radii).any(dim=1).sum()) for chunk in queries.split(_chunk_rows(len(centres))))
    return inside / len(queries)


@_one_thread
def precision_recall(real_features: torch.Tensor, fake_features: torch.Tensor, k: int = 3) -> PrecisionRecall:
    """Improved precision and recall (Kynkäänniemi et al., 2019) of fake features
    against real ones.

    Each set approximates its *manifold* by a union of balls: one ball around every
    sample, reaching to its k-th nearest neighbour in the same set.  **Precision** is
    the share of fake samples inside at least one real ball (do the fakes look
    real?); **recall** is the share of real samples inside at least one fake ball
    (is every kind of real sample generated?).  A generator that drops modes keeps
    its precision and loses recall; one that produces blurry or noisy samples loses
    precision.  The paper uses k = 3 and equally many (10,000 or more) real and fake
    samples.  Distances are Euclidean, float64, computed in chunks so that large
    sets fit in memory.
    """
    real, fake = _as_feature_pair(real_features, fake_features)
    if k < 1:
        raise ValueError(f"k must be at least 1, got k={k}")
    for name, x in (("real", real), ("fake", fake)):
        if k >= len(x):
            raise ValueError(f"k={k} needs at least k+1 = {k + 1} samples in each set (a k-th nearest other sample), but the {name} set has {len(x)}")
    real_radii, fake_radii = _kth_neighbour_radii(real, k), _kth_neighbour_radii(fake, k)
    return PrecisionRecall(precision=_share_inside(fake, real, real_radii), recall=_share_inside(real, fake, fake_radii), k=k)


# ---------------------------------------------------------------------------------
# Kernel Inception distance
# ---------------------------------------------------------------------------------
def _polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """k(x, y) = (x . y / d + 1)^3 for every pair of rows."""
    return (x @ y.T / x.shape[1] + 1).pow(3)


def _mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The unbiased estimate of MMD^2 between two equally large samples: averages of
    k over pairs *of different samples* (the diagonals k(x_i, x_i) are left out;
    including them is what would bias the estimate upwards)."""
    m = len(x)
    k_xx, k_yy = _polynomial_kernel(x, x), _polynomial_kernel(y, y)
    within = (k_xx.sum() - k_xx.diagonal().sum() + k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return within - 2 * _polynomial_kernel(x, y).mean()


@_one_thread
def kernel_inception_distance(
    features_a: torch.Tensor, features_b: torch.Tensor, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    r"""``(mean, std)`` of the Kernel Inception Distance (Bińkowski et al., 2018) over
    ``subsets`` random subsets.

    KID is the squared maximum mean discrepancy between the two feature sets with
    the cubic polynomial kernel k(x, y) = (x . y / d + 1)^3, estimated without bias:

    .. math:: \frac{1}{m(m-1)} \sum_{i \ne j} \big(k(a_i, a_j) + k(b_i, b_j)\big) - \frac{2}{m^2} \sum_{i, j} k(a_i, b_j)

    Unlike FID, its expected value for two samples of the same distribution is 0 at
    every sample size (single estimates can then be slightly negative), so KIDs
    measured on different numbers of samples can be compared.  Each subset draws
    ``subset_size`` samples (capped at the smaller set) without replacement from
    each set, with a ``torch.Generator`` seeded by ``seed``: the result is
    deterministic.  The std is over the subsets (ddof 0, as torch-fidelity reports).
    """
    a, b = _as_feature_pair(features_a, features_b)
    if subsets < 1:
        raise ValueError(f"subsets must be at least 1, got {subsets}")
    if subset_size < 2:
        raise ValueError(f"subset_size must be at least 2 (pairs of different samples), got {subset_size}")
    m = min(subset_size, len(a), len(b))
    rng = torch.Generator().manual_seed(seed)
    estimates = torch.stack(
        [_mmd2_unbiased(a[torch.randperm(len(a), generator=rng)[:m]], b[torch.randperm(len(b), generator=rng)[:m]]) for _ in range(subsets)]
    )
    return estimates.mean().item(), estimates.std(unbiased=False).item()


# ---------------------------------------------------------------------------------
# Feature extractors
# ---------------------------------------------------------------------------------
def _check_images(images: torch.Tensor) -> torch.Tensor:
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be a (n, channels, height, width) tensor with 1 or 3 channels, got shape {tuple(images.shape)}")
    return images


class FeatureExtractor(ABC):
    """What the metrics need from a pretrained network, for images in the course's
    [-1, 1] range: ``features`` (for FID, KID, precision and recall) and class
    ``probabilities`` (for the Inception Score)."""

    #: short name, a key of :data:`FEATURE_EXTRACTORS`
    name: str
    #: the number of features per image
    dim: int

    @abstractmethod
    def features(self, images: torch.Tensor) -> torch.Tensor:
        """``(n, d)`` float features of ``(n, channels, height, width)`` images."""

    @abstractmethod
    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """``(n, classes)`` class probabilities (rows sum to 1) of the images."""

    def features_and_probabilities(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(features(images), probabilities(images))``, with the same values as the two
        calls.  An extractor whose probabilities are a layer on top of its features
        computes both in one pass through the network, half the work of the two calls."""
        return self.features(images), self.probabilities(images)


class DigitFeatures(FeatureExtractor):
    """The course's :class:`~modules.networks.classifier.DigitClassifier` as a feature extractor:
    its 64 penultimate features (:func:`~modules.evaluation.classifier.classifier_features`) and
    the softmax of its 10 logits.  Works offline and in seconds on a CPU; the
    numbers it gives are for comparing the course's generators with each other,
    not with published results.  Images of another size are resized to the size the
    classifier was trained on; it runs on the CPU.
    """

    name = "digits"

    def __init__(self, classifier: DigitClassifier, batch_size: int = 500) -> None:
        self.classifier = classifier.eval()
        self.batch_size = batch_size
        self.dim = classifier.head.in_features

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return classifier_features(self.classifier, _check_images(images), self.batch_size)

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        return class_probabilities(self.classifier, _check_images(images), self.batch_size)

    @torch.no_grad()
    def features_and_probabilities(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(images)
        # the head on the same chunks as class_probabilities: the same numbers, one pass
        logits = torch.cat([self.classifier.head(chunk) for chunk in features.split(self.batch_size)])
        return features, logits.softmax(dim=1)


def digit_features(recipe: ClassifierRecipe = ClassifierRecipe()) -> DigitFeatures:
    """:class:`DigitFeatures` of the course's trained digit classifier (trained in
    seconds the first time, then loaded from the cache)."""
    return DigitFeatures(pretrained_classifier(recipe)[0])


class InceptionFeatures(FeatureExtractor):
    """torchvision's Inception-v3 as a feature extractor: the 2,048 features of the
    average pool before the last (``fc``) layer, and the softmax of its 1,000
    ImageNet logits.

    Images are resized to 299x299 (bilinear), grey images get their channel
    replicated three times, and the [-1, 1] range goes in unchanged: the network is
    built with ``transform_input=False``, and its weights (ported from TensorFlow)
    expect exactly [-1, 1].  (torchvision's default, ``transform_input=True``, takes
    ImageNet-normalised images and maps them back to [-1, 1] first: the same input.)

    ``weights="IMAGENET1K_V1"`` needs a one-time download of torchvision's weights
    (about 100 MB, cached under ``$TORCH_HOME``, by default ``~/.cache/torch``); if
    they are not cached and cannot be downloaded, or ``GAN_COURSE_OFFLINE=1`` forbids
    the download, a :class:`RuntimeError` says so (the offline default is
    :class:`DigitFeatures`).  ``weights=None`` builds the
    architecture untrained, with random weights (for tests: no download).

    **Not comparable to published numbers.**  Published FIDs (and IS, KID) use the
    original TensorFlow Inception graph, whose PyTorch port (pytorch-fid's
    ``pt_inception-2015-12-05`` weights) differs from torchvision's weights, so an
    FID computed here is not comparable to a paper's.  For published-comparable
    numbers use pytorch-fid or torch-fidelity.
    """

    name = "inception"
    dim = 2048

    def __init__(self, weights: str | None = "IMAGENET1K_V1", device: str = "cpu", batch_size: int = 64) -> None:
        from torchvision.models import Inception_V3_Weights, inception_v3

        state = None
        if weights is not None:
            try:
                chosen = Inception_V3_Weights[weights]
            except KeyError:
                known = ", ".join(w.name for w in Inception_V3_Weights)
                raise ValueError(f"unknown Inception weights {weights!r}; known: {known} (or None for untrained)") from None
            cached = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(chosen.url))
            if os.environ.get("GAN_COURSE_OFFLINE", "") not in ("", "0") and not os.path.exists(cached):
                raise RuntimeError(
                    f"the Inception weights are not in {os.path.dirname(cached)} and GAN_COURSE_OFFLINE is set, so they are not downloaded; "
                    "the offline default is the digit classifier (feature_extractor('digits'))"
                )
            try:
                state = chosen.get_state_dict(progress=False, check_hash=True)
            except OSError as err:  # URLError, HTTPError, timeouts, no connection
                raise RuntimeError(
                    f"the Inception weights could not be downloaded ({err}); the offline default is the digit classifier (feature_extractor('digits'))"
                ) from None
        # the pretrained weights include the auxiliary classifier, so the architecture must too
        model = inception_v3(weights=None, aux_logits=state is not None, transform_input=False, init_weights=False)
        if state is not None:
            model.load_state_dict(state)
        self.fc = model.fc  # the 2048 -> 1000 logit layer, kept to compute probabilities
        model.fc = nn.Identity()  # the network now ends at the 2,048 pooled features
        self.model = model.eval().to(device)
        self.fc = self.fc.eval().to(device)
        self.device = device
        self.batch_size = batch_size

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images of any size as the network's 3 x 299 x 299 input."""
        x = _check_images(images).float().to(self.device)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.model(self._prepare(chunk)).cpu() for chunk in images.split(self.batch_size)])

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_probabilities(images)[1]

    @torch.no_grad()
    def features_and_probabilities(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(images)
        return features, self.fc(features.to(self.device)).softmax(dim=1).cpu()


#: The feature extractors :func:`feature_extractor` knows, with what each is for.
FEATURE_EXTRACTORS: Mapping[str, str] = {
    "digits": "the course's digit classifier: 64 features, 10 classes, offline, seconds on a CPU",
    "inception": "torchvision's Inception-v3: 2,048 features, 1,000 classes, ~100 MB download once; not comparable to published FIDs",
}


def feature_dim(name: str) -> int:
    """How many features per image the extractor called ``name`` gives, known before
    it is built (a script checks its sample sizes before it trains the digit
    classifier or downloads Inception's weights)."""
    if name == "digits":
        return FEATURE_DIM
    if name == "inception":
        return InceptionFeatures.dim
    raise ValueError(f"unknown feature extractor {name!r}; known: {', '.join(FEATURE_EXTRACTORS)}")


def feature_extractor(name: str, device: str = "cpu") -> FeatureExtractor:
    """The feature extractor called ``name`` (a key of :data:`FEATURE_EXTRACTORS`),
    ready to use.  The digit classifier always runs on the CPU."""
    if name == "digits":
        return digit_features()
    if name == "inception":
        return InceptionFeatures(device=device)
    raise ValueError(f"unknown feature extractor {name!r}; known: {', '.join(FEATURE_EXTRACTORS)}")


def generated_images(trainer, n: int, seed: int = 0, epoch: int | None = None, labels: torch.Tensor | None = None, batch_size: int = 500) -> torch.Tensor:
    """``n`` images from the generator of ``trainer`` (a
    :class:`~modules.game.GANTrainer`), on the CPU, from a noise stream seeded
    by ``seed`` (the same seed gives the same noise at every ``epoch``, so stages of
    training are compared on the same latent vectors).

    ``epoch`` picks the generator as it was at one of the epochs in
    ``trainer.history.weights``; ``None`` takes it as it is now.  Either way the
    moving average of G's weights is used when the run kept one.  A conditional
    generator needs ``labels`` (``n`` class indices).
    """
    z = trainer.noise_sampler(n, generator=torch.Generator().manual_seed(seed))
    chunks = z.split(batch_size)
    conds = [()] * len(chunks) if labels is None else [(c,) for c in labels.split(batch_size)]
    if epoch is None:
        ema = trainer.ema_generator is not None
        return torch.cat([trainer.generate(c, *cond, ema=ema) for c, cond in zip(chunks, conds)])
    model = trainer.generator_at(epoch)
    with torch.no_grad():
        return torch.cat([model(c.to(trainer.device), *(t.to(trainer.device) for t in cond)).cpu() for c, cond in zip(chunks, conds)])
