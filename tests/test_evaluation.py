"""Tests for modules.evaluation.feature_metrics (FID, IS, precision/recall, KID and the feature extractors) and the digit classifier's cache."""

from __future__ import annotations

import math
import urllib.error

import numpy as np
import pytest
import scipy.linalg
import torch

from modules.evaluation import feature_metrics as evaluation
from modules.evaluation.feature_metrics import FEATURE_EXTRACTORS, DigitFeatures, InceptionFeatures, PrecisionRecall, SingularCovarianceError, feature_extractor, feature_statistics, frechet_distance, frechet_distance_from_statistics, inception_score, kernel_inception_distance, precision_recall
from modules.networks.classifier import DigitClassifier
from test_image_data import gen


def random_covariance(d: int, seed: int) -> torch.Tensor:
    """A well-conditioned random covariance matrix (float64)."""
    m = torch.randn(d, d, generator=gen(seed), dtype=torch.float64)
    return m @ m.T / d + 0.1 * torch.eye(d, dtype=torch.float64)


def scipy_frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """The textbook computation (as in pytorch-fid): numpy, scipy's sqrtm, real part."""
    x, y = a.double().numpy(), b.double().numpy()
    cov_a, cov_b = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((x.mean(0) - y.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root))


# ---------------------------------------------------------------------------------
# Fréchet distance
# ---------------------------------------------------------------------------------
def test_frechet_matches_closed_form_for_diagonal_gaussians():
    d = 12
    mu_a, mu_b = torch.randn(d, generator=gen(1), dtype=torch.float64), torch.randn(d, generator=gen(2), dtype=torch.float64)
    var_a, var_b = torch.rand(d, generator=gen(3), dtype=torch.float64) * 4 + 0.1, torch.rand(d, generator=gen(4), dtype=torch.float64) * 4 + 0.1
    expected = ((mu_a - mu_b) ** 2).sum() + ((var_a.sqrt() - var_b.sqrt()) ** 2).sum()
    got = frechet_distance_from_statistics(mu_a, torch.diag(var_a), mu_b, torch.diag(var_b))
    assert got == pytest.approx(expected.item(), rel=1e-6)


def test_frechet_matches_closed_form_for_full_commuting_covariances():
    # S_a = Q diag(a) Q^T and S_b = Q diag(b) Q^T share eigenvectors: the diagonal formula holds
    d = 10
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=gen(5), dtype=torch.float64))
    a, b = torch.rand(d, generator=gen(6), dtype=torch.float64) * 3 + 0.2, torch.rand(d, generator=gen(7), dtype=torch.float64) * 3 + 0.2
    mu_a, mu_b = torch.zeros(d, dtype=torch.float64), torch.full((d,), 0.5, dtype=torch.float64)
    expected = d * 0.25 + ((a.sqrt() - b.sqrt()) ** 2).sum()
    got = frechet_distance_from_statistics(mu_a, q @ torch.diag(a) @ q.T, mu_b, q @ torch.diag(b) @ q.T)
    assert got == pytest.approx(expected.item(), rel=1e-6)


def test_frechet_matches_closed_form_for_non_commuting_2x2():
    # for a 2x2 matrix M with eigenvalues l1, l2 >= 0: tr(M^(1/2)) = sqrt(l1) + sqrt(l2) = sqrt(tr M + 2 sqrt(det M))
    cov_a = torch.tensor([[2.0, 0.9], [0.9, 1.0]], dtype=torch.float64)
    cov_b = torch.tensor([[0.5, -0.3], [-0.3, 3.0]], dtype=torch.float64)
    product = cov_a @ cov_b
    root_trace = math.sqrt(product.trace().item() + 2 * math.sqrt(torch.det(cov_a).item() * torch.det(cov_b).item()))
    mu_a, mu_b = torch.tensor([1.0, -1.0], dtype=torch.float64), torch.tensor([0.0, 2.0], dtype=torch.float64)
    expected = 1 + 9 + cov_a.trace().item() + cov_b.trace().item() - 2 * root_trace
    assert frechet_distance_from_statistics(mu_a, cov_a, mu_b, cov_b) == pytest.approx(expected, rel=1e-6)


def test_frechet_statistics_agree_with_scipy_for_non_commuting_covariances():
    d = 16
    cov_a, cov_b = random_covariance(d, 8), random_covariance(d, 9)
    mu = torch.zeros(d, dtype=torch.float64)
    root = scipy.linalg.sqrtm(cov_a.numpy() @ cov_b.numpy()).real
    expected = cov_a.trace().item() + cov_b.trace().item() - 2 * np.trace(root)
    assert frechet_distance_from_statistics(mu, cov_a, mu, cov_b) == pytest.approx(expected, rel=1e-6)


def test_frechet_zero_for_identical_sets_and_symmetric():
    a = torch.randn(500, 16, generator=gen(10))
    b = 0.5 + 2 * torch.randn(400, 16, generator=gen(11))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, b) > 1.0
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


@pytest.mark.parametrize("n, d", [(500, 16), (2000, 64)])
def test_frechet_agrees_with_scipy_sqrtm(n, d):
    a = torch.randn(n, d, generator=gen(12))
    mix = torch.randn(d, d, generator=gen(13)) / math.sqrt(d)
    b = 0.3 + torch.randn(n, d, generator=gen(14)) @ mix  # correlated, another mean
    assert frechet_distance(a, b) == pytest.approx(scipy_frechet(a, b), rel=1e-6)


def test_frechet_near_singular_covariance_is_finite():
    a = torch.randn(300, 8, generator=gen(15))
    b = 0.2 + 1.5 * torch.randn(300, 8, generator=gen(16))
    a[:, 7], b[:, 7] = a[:, 0], b[:, 0]  # a duplicated column: both covariances have rank 7 < 8
    value = frechet_distance(a, b)
    assert math.isfinite(value) and value > 0
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_retries_with_eps_when_not_finite(monkeypatch):
    calls = []
    original = evaluation._trace_sqrt_product

    def flaky(cov_a: torch.Tensor, cov_b: torch.Tensor) -> torch.Tensor:
        calls.append(cov_a.clone())
        if len(calls) == 1:
            raise torch.linalg.LinAlgError("did not converge")
        return original(cov_a, cov_b)

    monkeypatch.setattr(evaluation, "_trace_sqrt_product", flaky)
    cov = random_covariance(4, 17)
    mu = torch.zeros(4, dtype=torch.float64)
    assert frechet_distance_from_statistics(mu, cov, mu, cov, eps=1e-3) == pytest.approx(0.0, abs=1e-9)
    assert len(calls) == 2
    assert torch.allclose(calls[1], cov + 1e-3 * torch.eye(4, dtype=torch.float64))


def test_feature_statistics_are_mean_and_unbiased_covariance():
    x = torch.tensor([[1.0, 2.0], [3.0, 0.0], [5.0, 4.0]])
    mean, cov = feature_statistics(x)
    assert mean.dtype == torch.float64
    assert torch.allclose(mean, torch.tensor([3.0, 2.0], dtype=torch.float64))
    assert torch.allclose(cov, torch.tensor([[4.0, 2.0], [2.0, 4.0]], dtype=torch.float64))  # divided by n - 1 = 2


@pytest.mark.parametrize(
    "a, b, words",
    [
        (torch.randn(50), torch.randn(50), "2-D"),
        (torch.randn(50, 4), torch.randn(50, 5), "dimension"),
        (torch.randn(1, 4), torch.randn(50, 4), "at least 2"),
        (torch.tensor([[0.0, 1.0], [math.nan, 2.0], [1.0, 1.0]]), torch.randn(50, 2), "NaN"),
        (torch.tensor([[0.0, 1.0], [math.inf, 2.0], [1.0, 1.0]]), torch.randn(50, 2), "NaN or inf"),
    ],
)
def test_frechet_rejects_bad_features(a, b, words):
    with pytest.raises(ValueError, match=words):
        frechet_distance(a, b)


def test_frechet_too_few_samples_is_a_singular_covariance_error():
    with pytest.raises(SingularCovarianceError, match=r"singular.*at least d \+ 1 = 65") as info:
        frechet_distance(torch.randn(64, 64), torch.randn(500, 64))
    assert isinstance(info.value, ValueError)
    assert frechet_distance(torch.randn(65, 64, generator=gen(0)), torch.randn(65, 64, generator=gen(1))) > 0  # d + 1 is enough


def test_frechet_from_statistics_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="dimension"):
        frechet_distance_from_statistics(torch.zeros(3), torch.eye(3), torch.zeros(4), torch.eye(4))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance_from_statistics(torch.zeros(2), torch.eye(2), torch.tensor([0.0, math.nan]), torch.eye(2))


# ---------------------------------------------------------------------------------
# Inception score
# ---------------------------------------------------------------------------------
def test_inception_score_is_one_for_a_constant_prediction():
    p = torch.tensor([0.7, 0.2, 0.1]).repeat(300, 1)
    mean, std = inception_score(p, splits=3)
    assert mean == pytest.approx(1.0, abs=1e-6) and std == pytest.approx(0.0, abs=1e-9)


def test_inception_score_is_the_number_of_classes_when_confident_and_balanced():
    p = torch.eye(10).repeat(100, 1)  # 1,000 one-hot rows; every part of 100 holds each class 10 times
    mean, std = inception_score(p, splits=10)
    assert mean == pytest.approx(10.0, abs=1e-6) and std == pytest.approx(0.0, abs=1e-9)
    half = torch.eye(10)[:5].repeat(100, 1)  # confident but only 5 classes: mode dropping halves the score
    assert inception_score(half, splits=10)[0] == pytest.approx(5.0, abs=1e-6)


def test_inception_score_by_hand():
    # half the rows are sure of class 0, half undecided: p(y) = (0.75, 0.25)
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5]]).repeat(4, 1)
    kl_sure = math.log(1 / 0.75)
    kl_undecided = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert inception_score(p, splits=1)[0] == pytest.approx(math.exp((kl_sure + kl_undecided) / 2), rel=1e-9)


@pytest.mark.parametrize(
    "p, splits, words",
    [
        (torch.full((10,), 0.1), 1, "2-D"),
        (torch.tensor([[0.5, math.nan], [0.5, 0.5]]), 1, "NaN"),
        (torch.tensor([[1.5, -0.5], [0.5, 0.5]]), 1, "non-negative"),
        (torch.tensor([[2.0, 3.0], [0.5, 0.5]]), 1, "sum to 1"),
        (torch.full((4, 2), 0.5), 0, "splits"),
        (torch.full((4, 2), 0.5), 5, "splits"),
    ],
)
def test_inception_score_rejects_bad_input(p, splits, words):
    with pytest.raises(ValueError, match=words):
        inception_score(p, splits=splits)


# ---------------------------------------------------------------------------------
# Precision and recall
# ---------------------------------------------------------------------------------
def clusters(labels: torch.Tensor, d: int = 8, seed: int = 0) -> torch.Tensor:
    """Samples of 10 Gaussian clusters (std 1) whose centres lie on a circle of radius 30
    (neighbouring centres 18.5 apart): one sample per label."""
    angle = torch.arange(10) * 2 * math.pi / 10
    centres = torch.zeros(10, d)
    centres[:, 0], centres[:, 1] = 30 * angle.cos(), 30 * angle.sin()
    return centres[labels] + torch.randn(len(labels), d, generator=gen(seed))


def test_precision_recall_identical_sets():
    x = torch.randn(300, 5, generator=gen(20))
    result = precision_recall(x, x)
    assert (result.precision, result.recall, result.k) == (1.0, 1.0, 3)


def test_precision_recall_mode_dropping_keeps_precision_loses_recall():
    # k = 10: bigger balls cover the clusters more completely than k = 3 in 8 dimensions
    real = clusters(torch.arange(10).repeat_interleave(200), seed=21)
    fake = clusters(torch.arange(5).repeat_interleave(400), seed=22)  # the "generator" drops 5 of the 10 classes
    result = precision_recall(real, fake, k=10)
    assert result.precision > 0.9  # measured 0.98
    assert result.recall < 0.6  # measured 0.49: half the real clusters are never generated


def test_precision_recall_noisy_generator_loses_precision():
    real = clusters(torch.arange(10).repeat_interleave(200), seed=23)
    fake = real + 3 * torch.randn(real.shape, generator=gen(24))
    result = precision_recall(real, fake, k=10)
    assert result.precision < 0.5  # measured 0.04: noisy samples lie off the real manifold
    assert result.recall > 0.9  # but their wide balls still cover every real sample


def test_precision_recall_chunked_equals_unchunked(monkeypatch):
    real, fake = torch.randn(120, 3, generator=gen(25)), 0.5 + torch.randn(90, 3, generator=gen(26))
    whole = precision_recall(real, fake)
    assert 0 < whole.precision < 1 and 0 < whole.recall < 1
    monkeypatch.setattr(evaluation, "_CHUNK_BYTES", 8 * 120 * 7)  # 7 rows per chunk
    assert precision_recall(real, fake) == whole


def test_precision_recall_by_hand():
    real = torch.tensor([[0.0], [1.0], [2.0]])  # k = 1 radii: 1, 1, 1
    fake = torch.tensor([[2.5], [10.0], [11.0], [13.0]])  # k = 1 radii: 7.5, 1, 1, 2
    result = precision_recall(real, fake, k=1)
    assert result.precision == pytest.approx(1 / 4)  # only 2.5 lies within 1 of a real sample
    assert result.recall == pytest.approx(1.0)  # 7.5 around 2.5 reaches every real sample
    assert str(result) == "precision 0.250, recall 1.000 (k=1)"
    assert isinstance(result, PrecisionRecall)


@pytest.mark.parametrize(
    "real, fake, k, words",
    [
        (torch.randn(10, 3), torch.randn(10, 4), 3, "dimension"),
        (torch.randn(10, 3), torch.full((10, 3), math.nan), 3, "NaN"),
        (torch.randn(10, 3), torch.randn(10, 3), 0, "k=0"),
        (torch.randn(10, 3), torch.randn(3, 3), 3, r"k=3 needs at least k\+1 = 4 samples .* fake set has 3"),
        (torch.randn(3, 3), torch.randn(10, 3), 3, "k=3 needs at least k"),
    ],
)
def test_precision_recall_rejects_bad_input(real, fake, k, words):
    with pytest.raises(ValueError, match=words):
        precision_recall(real, fake, k=k)


# ---------------------------------------------------------------------------------
# Kernel Inception distance
# ---------------------------------------------------------------------------------
def test_kid_is_unbiased_where_fid_is_not():
    kids, fids = [], []
    for seed in range(20):
        g = gen(100 + seed)
        a, b = torch.randn(100, 8, generator=g), torch.randn(100, 8, generator=g)  # the same distribution
        kids.append(kernel_inception_distance(a, b, subsets=5)[0])
        fids.append(frechet_distance(a, b))
    kid, fid = torch.tensor(kids, dtype=torch.float64), torch.tensor(fids, dtype=torch.float64)
    kid_se, fid_se = kid.std() / math.sqrt(20), fid.std() / math.sqrt(20)
    assert abs(kid.mean()) < 3 * kid_se  # expected value 0
    assert fid.mean() > 10 * fid_se and fid.mean() > 0.2  # measured 0.52: the small-sample bias of FID


def test_kid_of_different_distributions_is_clearly_positive():
    a = torch.randn(200, 8, generator=gen(30))
    b = 1.0 + torch.randn(200, 8, generator=gen(31))
    mean, std = kernel_inception_distance(a, b, subsets=20, subset_size=100)
    assert mean > 1.0 and mean > 10 * std


def test_kid_matches_a_direct_computation():
    a, b = torch.randn(30, 4, generator=gen(32)), 0.5 + torch.randn(30, 4, generator=gen(33))
    kernel = lambda x, y: (float(x @ y) / 4 + 1) ** 3  # noqa: E731
    m = 30
    within = sum(kernel(a[i], a[j]) + kernel(b[i], b[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    across = sum(kernel(a[i], b[j]) for i in range(m) for j in range(m)) / m**2
    mean, std = kernel_inception_distance(a, b, subsets=3)  # subset_size capped at 30: every subset is everything
    assert mean == pytest.approx(within - 2 * across, rel=1e-5)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_kid_is_deterministic_and_seeded():
    a, b = torch.randn(200, 6, generator=gen(34)), torch.randn(200, 6, generator=gen(35))
    first = kernel_inception_distance(a, b, subsets=10, subset_size=50, seed=1)
    assert kernel_inception_distance(a, b, subsets=10, subset_size=50, seed=1) == first
    assert kernel_inception_distance(a, b, subsets=10, subset_size=50, seed=2) != first


@pytest.mark.parametrize(
    "a, b, kwargs, words",
    [
        (torch.randn(10, 3), torch.randn(10, 4), {}, "dimension"),
        (torch.randn(10, 3), torch.full((10, 3), math.inf), {}, "NaN or inf"),
        (torch.randn(10, 3), torch.randn(10, 3), {"subsets": 0}, "subsets"),
        (torch.randn(10, 3), torch.randn(10, 3), {"subset_size": 1}, "subset_size"),
    ],
)
def test_kid_rejects_bad_input(a, b, kwargs, words):
    with pytest.raises(ValueError, match=words):
        kernel_inception_distance(a, b, **kwargs)


# ---------------------------------------------------------------------------------
# Feature extractors
# ---------------------------------------------------------------------------------
def test_digit_features_shapes_and_probabilities():
    torch.manual_seed(0)
    model = DigitClassifier()  # untrained: the shapes and the wiring are what matter
    images = torch.rand(5, 1, 32, 32, generator=gen(40)) * 2 - 1
    extractor = DigitFeatures(model)
    features, probabilities = extractor.features(images), extractor.probabilities(images)
    assert features.shape == (5, 64) and probabilities.shape == (5, 10)
    assert extractor.dim == 64 == DigitFeatures(DigitClassifier(feature_dim=32)).dim * 2
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(5), atol=1e-6)
    with torch.no_grad():
        assert torch.allclose(probabilities, model(images).softmax(dim=1), atol=1e-6)
        assert torch.allclose(features, model.features(images), atol=1e-6)
    with pytest.raises(ValueError, match="channels"):
        extractor.features(torch.rand(5, 32, 32))
    # both in one pass (what gan_metrics.py uses): the same numbers as the two calls,
    # also when the images come in several chunks (batch_size 2 here)
    chunked = DigitFeatures(model, batch_size=2)
    both = chunked.features_and_probabilities(images)
    assert torch.equal(both[0], chunked.features(images)) and torch.equal(both[1], chunked.probabilities(images))
    assert not both[1].requires_grad


def test_feature_extractor_factory(monkeypatch):
    model = DigitClassifier()
    monkeypatch.setattr(evaluation, "pretrained_classifier", lambda recipe: (model, 0.95))  # no training here
    extractor = feature_extractor("digits")
    assert isinstance(extractor, DigitFeatures) and extractor.classifier is model
    assert set(FEATURE_EXTRACTORS) == {DigitFeatures.name, InceptionFeatures.name}
    with pytest.raises(ValueError, match="unknown feature extractor 'nope'; known: digits, inception"):
        feature_extractor("nope")


@pytest.mark.slow  # 2-3 s alone, up to ~20 s on a busy 2-core machine
def test_inception_features_untrained_shapes():
    torch.manual_seed(0)
    extractor = InceptionFeatures(weights=None)
    images = torch.rand(2, 1, 32, 32, generator=gen(41)) * 2 - 1
    features, probabilities = extractor.features(images), extractor.probabilities(images)
    assert features.shape == (2, 2048) and probabilities.shape == (2, 1000)
    assert extractor.dim == 2048
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(2), atol=1e-5)
    both = extractor.features_and_probabilities(images)
    assert torch.equal(both[0], features) and torch.equal(both[1], probabilities)
    # the [-1, 1] input is what torchvision's transform_input=True makes of ImageNet-normalised images
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    big = torch.nn.functional.interpolate(images.expand(-1, 3, -1, -1), size=(299, 299), mode="bilinear", align_corners=False)
    extractor.model.transform_input = True
    with torch.no_grad():
        torchvision_way = extractor.model(((big + 1) / 2 - mean) / std)
    assert torch.allclose(features, torchvision_way, atol=1e-4)


def test_inception_without_network_says_so(monkeypatch, tmp_path):
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # nothing cached there
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(RuntimeError, match=r"Inception weights could not be downloaded.*offline default is the digit classifier"):
        InceptionFeatures()
    with pytest.raises(ValueError, match="unknown Inception weights"):
        InceptionFeatures(weights="IMAGENET9K")


def test_inception_with_course_offline_setting_does_not_try_to_download(monkeypatch, tmp_path):
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download although GAN_COURSE_OFFLINE=1")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # nothing cached there
    monkeypatch.setenv("GAN_COURSE_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "download_url_to_file", forbidden)
    with pytest.raises(RuntimeError, match=r"GAN_COURSE_OFFLINE is set.*digit classifier"):
        InceptionFeatures()


# ---------------------------------------------------------------------------------
# The digit classifier's cache (modules.evaluation.classifier)
# ---------------------------------------------------------------------------------
def test_pretrained_classifier_cache_file_is_kept_reused_and_replaced_when_unusable(tmp_path, monkeypatch):
    """pretrained_classifier goes through modules.game.runs.cached_runs: one file, named
    by the recipe, holding the weights, the accuracy and the recipe."""
    from dataclasses import asdict

    from modules.evaluation import classifier
    from modules.storage.checkpoints import cache_path, load_checkpoint

    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    recipe = classifier.ClassifierRecipe(image_size=16, images_seen=128)
    model, accuracy = classifier.pretrained_classifier(recipe)
    path = cache_path("classifier", asdict(recipe))
    assert [p.name for p in tmp_path.glob("*.pt")] == [path.name]
    data = load_checkpoint(path, kind="classifier")
    assert data["accuracy"] == accuracy and data["recipe"] == asdict(recipe)
    assert not model.training and 0.0 <= accuracy <= 1.0

    def no_training(*args, **kwargs):
        raise AssertionError("a cached classifier was trained again")

    with monkeypatch.context() as m:
        m.setattr(classifier, "train_classifier", no_training)
        again, again_accuracy = classifier.pretrained_classifier(recipe)
    assert again_accuracy == accuracy and not again.training
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))

    path.write_bytes(b"not a checkpoint")
    _, anew = classifier.pretrained_classifier(recipe)  # trained anew (seeded: the same accuracy)
    assert anew == accuracy and load_checkpoint(path, kind="classifier")["accuracy"] == accuracy


def test_judge_of_mnist_5k_trains_on_the_training_digits_and_is_scored_on_the_held_out_ones():
    """The judge's recipe picks its budget by dataset; its accuracy is measured on the
    held-out images it is given, never on its training images."""
    from modules.evaluation import classifier
    from modules.data.images import held_out_split

    recipe = classifier.ClassifierRecipe(dataset="mnist-5k")
    assert recipe.images_seen == classifier.IMAGES_SEEN["mnist-5k"] == 60000
    assert classifier.ClassifierRecipe(dataset="digits").images_seen == classifier.DEFAULT_IMAGES_SEEN
    assert classifier.ClassifierRecipe(dataset="mnist-5k", images_seen=128).images_seen == 128
    held = classifier.held_out_images(recipe)
    assert len(held) == 1000 and torch.bincount(held.labels).tolist() == [100] * 10

    train, test = held_out_split("mnist-5k", 16)
    small = classifier.ClassifierRecipe(dataset="mnist-5k", image_size=16, images_seen=4000)
    model, accuracy = classifier.train_classifier(small, train, test)
    assert accuracy > 0.3  # one pass over the training digits: far above chance (0.1) on the held-out ones
    wrong = type(test)(test.name, test.images, (test.labels + 1) % 10, test.image_size, test.class_names)
    _, wrong_accuracy = classifier.train_classifier(small, train, wrong)  # the same model, scored on other labels
    assert wrong_accuracy < accuracy / 2


# --------------------------------------------------------------------------------------
# Nearest training images (the copying check of lessons 12.1.2 and 12.1.7)
# --------------------------------------------------------------------------------------
def test_nearest_neighbours_put_copies_at_zero_and_skip_self_on_request():
    """A copy of a bank image is at distance exactly 0 (the fast matrix-product
    distances are about 1e-6 off, which the gates' "copies at 0" would not survive);
    ``exclude_self`` finds the nearest *other* image; the distances match a direct
    computation."""
    from modules.evaluation.metrics import nearest_neighbours

    bank = (torch.randint(0, 256, (300, 1, 32, 32), generator=gen(3)).float() / 127.5 - 1)
    queries = bank[:40]
    dist, idx = nearest_neighbours(queries, bank)
    assert torch.equal(dist[:, 0], torch.zeros(40)) and torch.equal(idx[:, 0], torch.arange(40))
    others, oidx = nearest_neighbours(queries, bank, k=2, exclude_self=True)
    assert (oidx != torch.arange(40).unsqueeze(1)).all() and (others > 1).all()
    direct = torch.cdist(queries.flatten(1).double(), bank.flatten(1).double(), compute_mode="donot_use_mm_for_euclid_dist")
    direct[torch.arange(40), torch.arange(40)] = float("inf")
    expected = direct.topk(2, dim=1, largest=False)
    assert torch.allclose(others.double(), expected.values, atol=1e-5) and torch.equal(oidx, expected.indices)


def test_pixel_spread_is_zero_for_copies_and_grows_with_variety():
    from modules.evaluation.metrics import pixel_spread

    one = torch.rand(1, 1, 8, 8, generator=gen(1))
    assert pixel_spread(one.repeat(5, 1, 1, 1)) == 0.0
    a, b = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    assert pixel_spread(torch.cat([a, b])) == pytest.approx(2.0)  # one pair, distance sqrt(4)
    narrow, wide = (torch.rand(50, 1, 8, 8, generator=gen(2)) * s for s in (0.1, 1.0))
    assert pixel_spread(wide) > 5 * pixel_spread(narrow)
    with pytest.raises(ValueError, match="at least 2"):
        pixel_spread(one)


def test_feature_dim_is_known_before_the_extractor_is_built():
    """gan_metrics.py checks its sample sizes with feature_dim before it trains the
    digit classifier or downloads Inception: the numbers must be the extractors' own."""
    from modules.evaluation.feature_metrics import feature_dim

    assert feature_dim("digits") == DigitFeatures(DigitClassifier()).dim == 64
    assert feature_dim("inception") == InceptionFeatures.dim == 2048
    with pytest.raises(ValueError, match="unknown feature extractor"):
        feature_dim("vgg")
