"""Tests for modules.data.translation: the data of lesson 12.1.8 (image-to-image translation).

Paired shape scenes (outline -> shaded rendering) for pix2pix and unpaired digit
domains (plain -> styled) for CycleGAN.  Everything is made by code and offline.
"""

from __future__ import annotations

import math

import pytest
import torch

from modules.data.images import ImageDataset, held_out_split, load_image_dataset
from modules.data.translation import SHAPE_KINDS, STYLES, PairedImages, Shape, UnpairedDomains, best_constant_l1, digit_styles, outline_of, random_scenes, render_scene, right_colour_share, shape_colours, shape_scenes, stylise
from test_image_data import gen, one_line




def four_neighbours(labels: torch.Tensor) -> list[torch.Tensor]:
    """The label of each pixel's up, down, left and right neighbour (-1 off the image)."""
    padded = torch.nn.functional.pad(labels, (1, 1, 1, 1), value=-1)
    h, w = labels.shape[-2:]
    return [padded[..., 0:h, 1 : w + 1], padded[..., 2 : h + 2, 1 : w + 1], padded[..., 1 : h + 1, 0:w], padded[..., 1 : h + 1, 2 : w + 2]]


# ---------------------------------------------------------------------------
# paired shape scenes (pix2pix)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scenes() -> PairedImages:
    return shape_scenes(300, 32, seed=0)


def test_shape_scenes_shapes_dtypes_and_range(scenes):
    assert len(scenes) == 300
    assert scenes.image_size == 32
    assert scenes.inputs.shape == (300, 1, 32, 32) and scenes.inputs.dtype == torch.float32
    assert scenes.targets.shape == (300, 3, 32, 32) and scenes.targets.dtype == torch.float32
    assert set(scenes.inputs.unique().tolist()) == {-1.0, 1.0}  # outline maps are binary
    assert scenes.targets.min() >= -1 and scenes.targets.max() <= 1
    assert len(scenes.scenes) == 300
    counts = [len(scene) for scene in scenes.scenes]
    assert min(counts) == 1 and max(counts) == 3
    assert {shape.kind for scene in scenes.scenes for shape in scene} == set(SHAPE_KINDS)


def test_shape_scenes_deterministic_and_seeded(scenes):
    again = shape_scenes(300, 32, seed=0)
    assert torch.equal(again.inputs, scenes.inputs) and torch.equal(again.targets, scenes.targets)
    other = shape_scenes(300, 32, seed=1)
    assert not torch.equal(other.inputs, scenes.inputs)
    assert not torch.equal(other.targets, scenes.targets)
    # the scenes do not depend on the image size, only on the seed
    assert shape_scenes(20, 16, seed=0).scenes == shape_scenes(20, 64, seed=0).scenes == random_scenes(20, seed=0)
    assert random_scenes(300, seed=0) == scenes.scenes


def test_outlines_are_thin_and_every_scene_has_one(scenes):
    on = scenes.inputs > 0
    assert on.float().mean() < 0.25
    assert on.flatten(1).any(dim=1).all()  # no empty outline map


def test_outline_pixels_lie_on_label_changes(scenes):
    rendering = render_scene(scenes.scenes[0], 32)
    assert torch.equal(rendering.inputs, scenes.inputs[:1])
    assert torch.equal(rendering.targets, scenes.targets[:1])
    for scene in scenes.scenes[:40]:
        labels = render_scene(scene, 32).labels
        outline = render_scene(scene, 32).inputs[:, 0] > 0
        neighbours = four_neighbours(labels)
        changes = torch.zeros_like(outline)
        in_front = torch.zeros_like(outline)  # a neighbour inside the image with a lower label
        for nb in neighbours:
            changes |= (nb >= 0) & (nb != labels)
            in_front |= (nb >= 0) & (nb < labels)
        assert changes[outline].all(), "an outline pixel away from any edge"
        assert torch.equal(outline, in_front), "outline is not the front side of every visible edge"
        assert (labels[outline] > 0).all()  # drawn on the shape's side, never on the floor


def test_outline_of_on_a_hand_made_label_map():
    labels = torch.zeros(1, 6, 6, dtype=torch.long)
    labels[0, 1:5, 1:5] = 1
    labels[0, 2:4, 2:4] = 2
    outline = outline_of(labels)[0, 0] > 0
    expected = torch.zeros(6, 6, dtype=torch.bool)
    expected[1:5, 1:5] = True  # the ring of shape 1 next to the floor...
    expected[2:4, 2:4] = True  # ...and all of shape 2 (2x2: every pixel touches shape 1)
    assert torch.equal(outline, expected)


def test_single_circle_outline_and_colour():
    r = 0.25
    rendering = render_scene(Shape("circle", 0.5, 0.5, r), 32)
    outline = rendering.inputs[0, 0] > 0
    ys, xs = torch.nonzero(outline, as_tuple=True)
    dist = torch.hypot((xs + 0.5) / 32 - 0.5, (ys + 0.5) / 32 - 0.5)
    assert (dist <= r + 1e-6).all() and (dist > r - 1.5 / 32).all(), "outline pixels off the circle's rim"
    assert 0.7 * 2 * math.pi * r * 32 < len(xs) < 1.5 * 2 * math.pi * r * 32
    colour = rendering.targets[0][:, rendering.labels[0] == 1].mean(dim=1)  # mean RGB inside
    assert colour[0] > colour[1] + 0.5 and colour[0] > colour[2] + 0.5  # red
    corner = rendering.targets[0, :, 0, 0]  # the floor far from the shadow: light grey
    assert torch.allclose(corner, torch.full((3,), corner[0].item())) and corner[0] > 0.5


@pytest.mark.parametrize("kind, channel", [("circle", 0), ("square", 1), ("triangle", 2)])
def test_each_kind_has_its_colour_family(kind, channel):
    rendering = render_scene(Shape(kind, 0.5, 0.5, 0.2, angle=0.3), 32)
    colour = rendering.targets[0][:, rendering.labels[0] == 1].mean(dim=1)
    others = [c for c in range(3) if c != channel]
    assert all(colour[channel] > colour[c] + 0.3 for c in others), f"{kind} is not in its colour family: {colour}"


def test_light_from_upper_left_and_shadow_down_right():
    rendering = render_scene(Shape("circle", 0.5, 0.5, 0.25), 64)
    img, labels = rendering.targets[0], rendering.labels[0]
    brightness = img.sum(dim=0)
    upper_left = brightness[:32, :32][labels[:32, :32] == 1].mean()
    lower_right = brightness[32:, 32:][labels[32:, 32:] == 1].mean()
    assert upper_left > lower_right + 0.3
    floor = brightness[2, 2]
    # just outside the rim, down-right lies in the shadow, up-left does not
    d = int(round((0.5 + 0.25 / math.sqrt(2) + 0.02) * 64))
    u = int(round((0.5 - 0.25 / math.sqrt(2) - 0.02) * 64))
    assert labels[d, d] == 0 and labels[u, u] == 0
    assert brightness[d, d] < floor - 0.3
    assert brightness[u, u] == pytest.approx(floor.item(), abs=0.01)


def test_fully_hidden_shape_leaves_no_trace():
    hidden = Shape("circle", 0.5, 0.5, 0.08)
    cover = Shape("square", 0.5, 0.5, 0.3, angle=0.2)
    both, alone = render_scene([hidden, cover], 32), render_scene([cover], 32)
    assert not (both.labels == 1).any()  # the circle is nowhere visible
    assert torch.equal(both.labels > 0, alone.labels > 0)
    assert torch.equal(both.inputs, alone.inputs)
    assert torch.allclose(both.targets, alone.targets, atol=0.02)


def test_partly_hidden_shape_loses_its_hidden_edges():
    back = Shape("circle", 0.38, 0.5, 0.2)
    front = Shape("square", 0.62, 0.5, 0.2)
    both, front_only, back_only = (render_scene(s, 32) for s in ([back, front], [front], [back]))
    front_outline = front_only.inputs[0, 0] > 0
    front_interior = (front_only.labels[0] == 1) & ~front_outline
    back_outline = back_only.inputs[0, 0] > 0
    outline = both.inputs[0, 0] > 0
    assert (back_outline & front_interior).any()  # the circle's rim does pass under the square...
    assert not (outline & front_interior).any()  # ...but no edge shows inside the square
    assert (outline & front_outline).sum() == front_outline.sum()  # the square's edge is all there
    assert (outline & (both.labels[0] == 1)).any()  # the visible part of the circle keeps its edge


def test_best_constant_l1(scenes):
    targets = scenes.targets
    best = best_constant_l1(targets)
    assert best > 0
    zeros = targets.abs().mean().item()
    mean = (targets - targets.mean(dim=0)).abs().mean().item()
    assert best < zeros and best < mean  # the median beats the mean under L1
    median = targets.median(dim=0).values
    for shift in (-0.05, 0.05):
        assert best < (targets - median - shift).abs().mean().item()
    assert best_constant_l1(torch.full((5, 3, 4, 4), 0.3)) == 0.0
    two = torch.stack([torch.full((1, 2, 2), -1.0), torch.full((1, 2, 2), 1.0), torch.full((1, 2, 2), 1.0)])
    assert best_constant_l1(two) == pytest.approx(2 / 3)  # median 1: errors 2, 0, 0


@pytest.mark.parametrize("size", [16, 64])
def test_other_sizes(size):
    data = shape_scenes(4, size, seed=3)
    assert data.inputs.shape == (4, 1, size, size) and data.targets.shape == (4, 3, size, size)
    assert (data.inputs > 0).float().mean() < 0.25


@pytest.mark.parametrize("size", [8, 48, 512, 32.0, True, "32"])
def test_bad_size_raises(size):
    with pytest.raises(ValueError) as info:
        shape_scenes(4, size)
    assert "power of two from 16 to 256" in one_line(info.value)
    with pytest.raises(ValueError):
        render_scene(Shape("circle", 0.5, 0.5, 0.2), size)


def test_bad_shape_raises():
    with pytest.raises(ValueError) as info:
        Shape("hexagon", 0.5, 0.5, 0.2)
    assert "circle" in one_line(info.value)
    with pytest.raises(ValueError):
        Shape("circle", 0.5, 0.5, 0.0)


def test_sample_returns_targets_then_inputs(scenes):
    targets, inputs = scenes.sample(16, gen(5))
    assert targets.shape == (16, 3, 32, 32) and inputs.shape == (16, 1, 32, 32)
    idx = torch.randint(len(scenes), (16,), generator=gen(5))
    assert torch.equal(targets, scenes.targets[idx]) and torch.equal(inputs, scenes.inputs[idx])
    again = scenes.sample(16, gen(5))
    assert torch.equal(again[0], targets)
    assert not torch.equal(scenes.sample(16, gen(6))[0], targets)


def test_split(scenes):
    train, test = scenes.split(0.2, seed=0)
    assert len(train) == 240 and len(test) == 60
    assert len(train.scenes) == 240 and len(test.scenes) == 60
    # every pair stays a pair, and no pair is in both halves
    rows = {tuple(x.flatten().tolist()): i for i, x in enumerate(scenes.inputs)}
    train_rows = [rows[tuple(x.flatten().tolist())] for x in train.inputs]
    test_rows = [rows[tuple(x.flatten().tolist())] for x in test.inputs]
    assert not set(train_rows) & set(test_rows)
    assert torch.equal(test.targets, scenes.targets[test_rows])
    assert [scenes.scenes[i] for i in test_rows] == test.scenes
    assert torch.equal(scenes.split(0.2, seed=0)[1].inputs, test.inputs)
    assert not torch.equal(scenes.split(0.2, seed=1)[1].inputs, test.inputs)
    with pytest.raises(ValueError):
        scenes.split(1.0)


# ---------------------------------------------------------------------------
# unpaired digit domains (CycleGAN)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def domains() -> UnpairedDomains:
    return digit_styles(32, seed=0)


@pytest.fixture(scope="module")
def digits() -> ImageDataset:
    return load_image_dataset("digits", 32, 1)


@pytest.fixture(scope="module")
def split() -> tuple[ImageDataset, ImageDataset]:
    """mnist-5k's training and held-out digits, the sources of the default domains."""
    return held_out_split("mnist-5k", 32, 1)


def test_domains_come_from_disjoint_digits(domains, split):
    train, test = split
    a, b = (set(idx.tolist()) for idx in (domains.a_indices, domains.b_indices))
    assert not a & b and a | b == set(range(len(train))) == set(range(4000))
    assert len(domains.a) == len(domains.b) == len(a) == len(b) == 2000
    # the held-out digits are mnist-5k's 1,000, shuffled (it is stored class by class)
    assert sorted(domains.test_indices.tolist()) == list(range(len(test))) == list(range(1000))
    assert len(set(domains.test_a.labels[:20].tolist())) >= 5
    # no held-out digit is also a training digit of either domain
    train_images = {bytes(image.numpy().tobytes()) for image in train.images}
    assert not any(bytes(image.numpy().tobytes()) in train_images for image in test.images)


def test_domain_images_are_their_sources(domains, split):
    train, test = split
    a_images, a_labels = domains.a.tensors()
    source_a, labels_a = train.tensors(domains.a_indices)
    assert torch.equal(a_images, source_a.repeat(1, 3, 1, 1))
    assert torch.equal(a_labels, labels_a)
    source_b, labels_b = train.tensors(domains.b_indices)
    assert torch.equal(domains.b.images, stylise(source_b))
    assert torch.equal(domains.b.labels, labels_b)
    test_images, test_labels = domains.test_a.tensors()
    assert torch.equal(test_images, test.tensors(domains.test_indices)[0].repeat(1, 3, 1, 1))
    assert torch.equal(test_labels, test.labels[domains.test_indices])


def test_other_source_digits():
    """``dataset="digits"``: scikit-learn's 1,797, with the judge's held-out fifth as the test digits."""
    domains = digit_styles(16, dataset="digits")
    train, test = held_out_split("digits", 16, 1)
    assert len(domains.a) + len(domains.b) == len(train) == 1438 and len(domains.test_a) == len(test) == 359
    assert torch.equal(domains.test_a.tensors()[0], test.tensors(domains.test_indices)[0].repeat(1, 3, 1, 1))
    assert domains.a.name == "digits" and domains.b.name == "digits-inverted-thick-blue"


def test_both_domains_have_three_channels(domains):
    for dataset in (domains.a, domains.b, domains.test_a, domains.test_b):
        assert dataset.channels == 3
        images = dataset.tensors()[0]
        assert images.shape[1:] == (3, 32, 32)
        assert images.min() >= -1 and images.max() <= 1
    a = domains.a.tensors()[0]
    assert torch.equal(a[:, 0], a[:, 1]) and torch.equal(a[:, 0], a[:, 2])  # A is grey
    b = domains.b.images
    assert not torch.equal(b[:, 0], b[:, 2])  # B is not


def test_stylise_is_deterministic_and_changes_the_look(digits):
    grey = digits.tensors(torch.arange(50))[0]
    styled = stylise(grey)
    assert styled.shape == (50, 3, 32, 32)
    assert torch.equal(styled, stylise(grey))
    assert torch.equal(styled, stylise(grey.repeat(1, 3, 1, 1)))  # 3 grey channels work too
    assert styled.mean() > grey.mean() + 0.5  # dark page -> light page (the ink is thicker, too)
    # thicker: more of the styled page is ink than of the plain one
    style = STYLES["inverted-thick-blue"]
    paper, ink = (sum(style.paper) / 3 * 2 - 1), (sum(style.ink) / 3 * 2 - 1)  # their grey levels
    ink_b = (paper - styled.mean(dim=1)) / (paper - ink)  # 0 on paper, 1 on full ink
    assert (ink_b > 0.5).float().mean() > 1.2 * (grey > 0).float().mean()
    # the ink is blue: where the digit is, blue beats red
    strokes = grey[:, 0] > 0.5
    assert (styled[:, 2][strokes] > styled[:, 0][strokes] + 0.2).all()


def test_correct_b_and_test_b(domains):
    test_images, labels = domains.test_a.tensors()
    assert torch.equal(domains.correct_b_of(test_images), stylise(test_images))
    test_b = domains.test_b
    assert torch.equal(test_b.images, domains.correct_b_of(test_images))
    assert torch.equal(test_b.labels, labels)


def test_sample_pair_independent_batches(domains):
    a, b = domains.sample_pair(12, gen(3))
    assert a.shape == (12, 3, 32, 32) and b.shape == (12, 3, 32, 32)
    g = gen(3)
    idx_a = torch.randint(len(domains.a), (12,), generator=g)
    idx_b = torch.randint(len(domains.b), (12,), generator=g)
    assert torch.equal(a, domains.a.tensors(idx_a)[0])
    assert torch.equal(b, domains.b.tensors(idx_b)[0])
    assert not torch.equal(idx_a, idx_b)  # two draws, not one index used twice
    assert not torch.equal(domains.correct_b_of(a), b)  # the batches are not twins
    again = domains.sample_pair(12, gen(3))
    assert torch.equal(again[0], a) and torch.equal(again[1], b)


def test_digit_styles_seeded():
    other = digit_styles(16, seed=1)
    assert other.image_size == 16 and other.b.images.shape[-1] == 16
    assert not torch.equal(other.a_indices, digit_styles(16, seed=0).a_indices)
    assert torch.equal(other.a_indices, digit_styles(16, seed=1).a_indices)


def test_unknown_style_and_bad_size():
    with pytest.raises(ValueError) as info:
        digit_styles(32, style="sepia")
    message = one_line(info.value)
    assert "sepia" in message and all(name in message for name in STYLES)
    with pytest.raises(ValueError):
        stylise(torch.zeros(1, 1, 8, 8), "sepia")
    with pytest.raises(ValueError) as info:
        digit_styles(24)
    assert "power of two" in one_line(info.value)
    with pytest.raises(ValueError):
        digit_styles(32, test_fraction=0.0)


# ---------------------------------------------------------------------------
# the colour of each shape (pix2pix's colour check)
# ---------------------------------------------------------------------------
def test_shape_colours_of_the_targets_and_of_swapped_colours():
    pairs = shape_scenes(60, 32, seed=3)
    found = shape_colours(pairs.targets, pairs.scenes)
    visible = sum(len(scene) for scene in pairs.scenes)
    assert visible * 0.8 <= len(found) <= visible  # hidden shapes are left out, most are visible
    assert all(kind == colour for kind, colour in found)
    assert right_colour_share(pairs.targets, pairs.scenes) == 1.0
    # red and green swapped: circles read as squares, squares as circles, triangles stay blue
    swapped = pairs.targets[:, [1, 0, 2]]
    for kind, colour in shape_colours(swapped, pairs.scenes):
        assert colour == {"circle": "square", "square": "circle", "triangle": "triangle"}[kind]
    share = right_colour_share(swapped, pairs.scenes)
    assert share == pytest.approx(sum(k == "triangle" for k, _ in found) / len(found))
    # a flat grey image has no colour of its own: every shape gets the same answer
    assert len({colour for _, colour in shape_colours(torch.zeros_like(pairs.targets), pairs.scenes)}) == 1


def test_shape_colours_refuses_mismatched_input():
    pairs = shape_scenes(4, 32, seed=0)
    with pytest.raises(ValueError):
        shape_colours(pairs.targets[:3], pairs.scenes)
    with pytest.raises(ValueError):
        shape_colours(pairs.inputs, pairs.scenes)
