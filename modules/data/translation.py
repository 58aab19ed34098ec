"""Data for image-to-image translation, made by code: paired scenes and unpaired digits.

Two kinds of translation, two kinds of data:

Paired (pix2pix): :func:`shape_scenes`
    Each scene holds one to three shapes (circle, square, triangle) on a floor.  The
    *input* is a 1-channel outline map: the visible edges of the shapes, one pixel
    wide, ``+1`` on a ``-1`` background.  The *target* is a 3-channel rendering of the
    same scene: every shape filled with the colour of its kind (circles red, squares
    green, triangles blue), shaded by a light from the upper left, with a soft shadow
    on the light-grey floor below and to the right.  The target is a fixed function of
    the scene, and almost a fixed function of the outline: to colour a shape the
    generator must tell a circle from a square from a triangle by the outline's
    geometry, and to shade it, know which side of an edge is inside.  There is a
    real structure to learn, and every input has exactly one right answer, which the
    L1 term of pix2pix can pull towards.  :func:`best_constant_l1` is the error of
    the best answer that ignores the input: a translator must beat it.

Unpaired (CycleGAN): :func:`digit_styles`
    Domain A is handwritten digits (white ink on black: real MNIST digits by default);
    domain B is digits in another style (:data:`STYLES`: dark-blue, thicker strokes on
    cream paper).  A and B are made from *disjoint* halves of the digits, so no image of A
    has its styled twin in B: the data says what each domain looks like, never which
    image goes with which.  Because the style is a known function (:func:`stylise`),
    held-out digits come with the correct answer of the A -> B translation, which a
    real unpaired data set would never give.

Everything is deterministic: scenes and splits come from an explicit ``seed``, batches
from the :class:`torch.Generator` the caller passes, never from the global generator.

Introduced in lesson 12.1.8 (Image-to-Image Translation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F

from modules.data.images import DatasetUnavailable, ImageDataset, held_out_split

__all__ = [
    "SHAPE_KINDS",
    "SHAPE_COLOURS",
    "IMAGE_SIZES",
    "Shape",
    "Rendering",
    "render_scene",
    "random_scenes",
    "outline_of",
    "PairedImages",
    "shape_scenes",
    "best_constant_l1",
    "shape_colours",
    "right_colour_share",
    "paired_folder",
    "DigitStyle",
    "STYLES",
    "stylise",
    "UnpairedDomains",
    "digit_styles",
]

IMAGE_SIZES = (16, 32, 64, 128, 256)


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size not in IMAGE_SIZES:
        raise ValueError(f"image size must be a power of two from 16 to 256 (got {size!r})")


# ---------------------------------------------------------------------------
# Paired scenes: outline -> shaded shapes (pix2pix)
# ---------------------------------------------------------------------------
SHAPE_KINDS = ("circle", "square", "triangle")
# The colour of each kind, RGB in [0, 1] before shading.
SHAPE_COLOURS = {
    "circle": (0.90, 0.28, 0.22),
    "square": (0.22, 0.72, 0.30),
    "triangle": (0.24, 0.38, 0.92),
}
FLOOR = 0.85  # light-grey background, [0, 1]
SHADOW_OFFSET = 0.05  # the shadow falls this far down and to the right (fraction of the width, rounded to whole pixels)
SHADOW_SOFTNESS = 0.02  # width of the shadow's soft edge (fraction of the width)
SHADOW_DEPTH = 0.40  # how much the floor darkens under a full shadow
# Light from the upper left and in front (x right, y down, z towards the viewer).
_LIGHT = (-1.0, -1.0, 2.0)
# Size of each kind relative to the scene's ``size`` number: the circle's radius, the
# square's half side, the triangle's circumradius; chosen so the three have similar areas.
_KIND_SCALE = (1.0, 0.9, 1.35)
# The distance from the centre to the farthest point, in units of ``size``.
_KIND_EXTENT = (1.0, 0.9 * math.sqrt(2.0), 1.35)
_MAX_SHAPES = 3
_CHUNK_ELEMENTS = 1 << 22  # render scenes in chunks of about this many (scene, shape, pixel) values


@dataclass(frozen=True)
class Shape:
    """One shape of a scene, in coordinates that do not depend on the image size.

    ``x`` and ``y`` are the centre as fractions of the image width (``(0, 0)`` is the
    top left corner, ``y`` grows downwards, as in an image); ``size`` is the circle's
    radius, the square's half side or 0.74 times the triangle's circumradius (so the
    three kinds have about the same area for the same ``size``); ``angle`` turns the
    square and the triangle (radians, clockwise on screen).  A triangle with
    ``angle=0`` points up.
    """

    kind: str
    x: float
    y: float
    size: float
    angle: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in SHAPE_KINDS:
            raise ValueError(f"unknown shape kind {self.kind!r}; choose one of {', '.join(SHAPE_KINDS)}")
        if not self.size > 0:
            raise ValueError(f"shape size must be > 0 (got {self.size})")


class Rendering(NamedTuple):
    """What :func:`render_scene` draws.

    ``labels``: ``(N, H, W)`` long, 0 for the floor and ``k + 1`` where the ``k``-th
    shape of the scene is visible (later shapes lie on top); ``inputs``: ``(N, 1, H,
    W)`` outline maps; ``targets``: ``(N, 3, H, W)`` shaded renderings; both in
    ``[-1, 1]``.
    """

    labels: torch.Tensor
    inputs: torch.Tensor
    targets: torch.Tensor


def outline_of(labels: torch.Tensor) -> torch.Tensor:
    """The outline map of a label map: ``(N, H, W)`` long -> ``(N, 1, H, W)`` in {-1, +1}.

    A pixel is on the outline when one of its four neighbours has a *lower* label.
    Each visible edge is then drawn exactly once, one pixel wide, on the side of the
    shape in front: between a shape and the floor (label 0) on the shape's side,
    between two shapes on the upper one's side.  Computed from the rendered labels,
    the outline shows only what is visible: the edges of a shape hidden behind
    another vanish with it.  The image border is not an edge.
    """
    padded = F.pad(labels.unsqueeze(1).float(), (1, 1, 1, 1), mode="replicate").squeeze(1)
    centre = padded[:, 1:-1, 1:-1]
    lower = torch.zeros_like(centre, dtype=torch.bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        neighbour = padded[:, dy : dy + centre.shape[1], dx : dx + centre.shape[2]]
        lower |= neighbour < centre
    return torch.where(lower, 1.0, -1.0).unsqueeze(1)


def _signed_distance(px: torch.Tensor, py: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Signed distance (negative inside) from every pixel to every shape.

    ``px``, ``py``: pixel centres, broadcastable to ``(1, 1, H, W)``; ``params``: tensors
    of shape ``(N, K)``.  Returns ``(N, K, H, W)``.  For the circle it is the exact
    distance to the rim; for a convex polygon the largest distance past one of its
    edge lines, exact inside and close enough outside for anti-aliasing and shadows.
    Missing shapes (``present`` False) are infinitely far away.
    """
    kind = params["kind"]
    qx = px - params["x"][..., None, None]
    qy = py - params["y"][..., None, None]
    size = params["size"]
    circle = torch.sqrt(qx**2 + qy**2) - (size * _KIND_SCALE[0])[..., None, None]
    # Square and triangle as one polygon with four edge normals (the triangle's first
    # one twice).  The triangle's first normal points down (+y), so its opposite vertex
    # points up; an equilateral triangle's inradius is half its circumradius.
    k = torch.arange(4, dtype=torch.float32)
    turns = torch.where((kind == 1)[..., None], k * (math.pi / 2), math.pi / 2 + (k % 3) * (2 * math.pi / 3))
    normal = params["angle"][..., None] + turns  # (N, K, 4)
    cos, sin = torch.cos(normal)[..., None, None], torch.sin(normal)[..., None, None]
    apothem = size * torch.where(kind == 1, _KIND_SCALE[1], _KIND_SCALE[2] / 2)
    polygon = (qx.unsqueeze(2) * cos + qy.unsqueeze(2) * sin).amax(dim=2) - apothem[..., None, None]
    dist = torch.where((kind == 0)[..., None, None], circle, polygon)
    return dist.masked_fill(~params["present"][..., None, None], math.inf)


def _shading(px: torch.Tensor, py: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Brightness of every shape at every pixel, ``(N, K, H, W)`` in [0.55, 1].

    Circles are lit as spheres: brightness = 0.55 + 0.45 * max(0, n . l), with n the
    sphere's surface normal and l the light direction.  Squares and triangles are flat
    tiles with a linear ramp, brightest at the corner towards the light.
    """
    lx, ly, lz = _LIGHT
    norm = math.sqrt(lx * lx + ly * ly + lz * lz)
    lx, ly, lz = lx / norm, ly / norm, lz / norm
    kind = params["kind"][..., None, None]
    qx = px - params["x"][..., None, None]
    qy = py - params["y"][..., None, None]
    size = params["size"][..., None, None]
    # sphere
    r = size * _KIND_SCALE[0]
    nx, ny = qx / r, qy / r
    nz = torch.sqrt((1 - nx**2 - ny**2).clamp(min=0))
    sphere = (nx * lx + ny * ly + nz * lz).clamp(min=0)
    # flat ramp along the light's direction in the image plane, -1..1 across the shape
    extent = size * torch.where(kind == 1, _KIND_EXTENT[1], _KIND_EXTENT[2])
    planar = math.hypot(lx, ly)
    ramp = ((qx * lx + qy * ly) / (planar * extent)).clamp(-1, 1)
    flat = 0.5 + 0.5 * ramp
    return 0.55 + 0.45 * torch.where(kind == 0, sphere, flat)


def _render(params: dict[str, torch.Tensor], size: int) -> Rendering:
    """Render a batch of scenes given as ``(N, K)`` parameter tensors (see :func:`random_scenes`)."""
    n, k = params["x"].shape
    # The shadow is the scene's silhouette moved by a whole number of pixels, so one
    # grid that reaches ``offset`` pixels past the top left gives both: the shapes'
    # distances on its lower right, their shadow's on its upper left.
    offset = max(1, round(SHADOW_OFFSET * size))
    chunk = max(1, _CHUNK_ELEMENTS // (4 * k * (size + offset) ** 2))  # the polygons' four edge maps are the largest tensor
    coords = (torch.arange(-offset, size, dtype=torch.float32) + 0.5) / size  # pixel centres
    py, px = coords.view(1, 1, -1, 1), coords.view(1, 1, 1, -1)
    colours = torch.tensor([SHAPE_COLOURS[kind] for kind in SHAPE_KINDS])  # (3 kinds, RGB)
    labels_out, targets_out = [], []
    for start in range(0, n, chunk):
        p = {key: value[start : start + chunk] for key, value in params.items()}
        grid = _signed_distance(px, py, p)  # (n, K, H + offset, W + offset), in fractions of the width
        dist, shadow_dist = grid[..., offset:, offset:], grid[..., :size, :size]
        # labels: the last shape that covers a pixel wins (drawing order = depth order)
        inside = dist <= 0
        depth = torch.arange(1, k + 1).view(1, k, 1, 1)
        labels = (inside * depth).amax(dim=1)
        # anti-aliased coverage: 1 inside, 0 outside, a ramp over the pixel on the edge
        alpha = (0.5 - dist * size).clamp(0, 1)
        # the floor, darkened under the soft shadows of all shapes
        shadow = 1 - torch.prod(1 - torch.sigmoid(-shadow_dist / (SHADOW_SOFTNESS / 4)), dim=1)
        image = (FLOOR * (1 - SHADOW_DEPTH * shadow)).unsqueeze(1).repeat(1, 3, 1, 1)
        shade = _shading(px[..., offset:], py[..., offset:, :], p)  # (n, K, H, W)
        base = colours[p["kind"]]  # (n, K, 3)
        for j in range(k):  # paint back to front
            a = alpha[:, j : j + 1]
            colour = base[:, j, :, None, None] * shade[:, j : j + 1]
            image = image * (1 - a) + colour * a
        labels_out.append(labels)
        targets_out.append(image * 2 - 1)
    labels = torch.cat(labels_out)
    return Rendering(labels, outline_of(labels), torch.cat(targets_out).clamp(-1, 1))


def _params_of(scenes: list[tuple[Shape, ...]] | tuple[tuple[Shape, ...], ...]) -> dict[str, torch.Tensor]:
    """Scenes as ``(N, K)`` tensors, ``K`` the most shapes in a scene; ``present`` marks
    the real shapes of scenes with fewer."""
    k = max(1, max((len(scene) for scene in scenes), default=1))
    rows = [[(SHAPE_KINDS.index(s.kind), s.x, s.y, s.size, s.angle, 1.0) for s in scene] + [(0, 0.0, 0.0, 1.0, 0.0, 0.0)] * (k - len(scene)) for scene in scenes]
    table = torch.tensor(rows, dtype=torch.float64).view(len(scenes), k, 6)
    return {
        "kind": table[..., 0].long(),
        "x": table[..., 1].float(),
        "y": table[..., 2].float(),
        "size": table[..., 3].float(),
        "angle": table[..., 4].float(),
        "present": table[..., 5] > 0,
    }


def render_scene(shapes: Shape | list[Shape] | tuple[Shape, ...], size: int = 32) -> Rendering:
    """Draw one scene (shapes listed back to front) at ``size`` x ``size`` pixels.

    Returns a :class:`Rendering` with a batch dimension of 1.  Use it to build a scene
    by hand, for instance to see that a shape hidden behind another leaves no edge.
    """
    _check_size(size)
    if isinstance(shapes, Shape):
        shapes = [shapes]
    return _render(_params_of([tuple(shapes)]), size)


def random_scenes(n: int, seed: int = 0) -> list[tuple[Shape, ...]]:
    """``n`` random scenes of one to three shapes, the same for every image size.

    Each shape's kind is uniform, its ``size`` uniform in [0.11, 0.2] of the width, its
    angle uniform, and its centre uniform over the positions that keep it (though not
    always its shadow) inside the frame.  Shapes may overlap.
    """
    if n < 1:
        raise ValueError(f"the number of scenes must be at least 1 (got {n})")
    g = torch.Generator().manual_seed(seed)
    count = torch.randint(1, _MAX_SHAPES + 1, (n,), generator=g)
    kind = torch.randint(len(SHAPE_KINDS), (n, _MAX_SHAPES), generator=g)
    size = 0.11 + 0.09 * torch.rand(n, _MAX_SHAPES, generator=g)
    margin = size * torch.tensor(_KIND_EXTENT)[kind]
    x = margin + (1 - 2 * margin) * torch.rand(n, _MAX_SHAPES, generator=g)
    y = margin + (1 - 2 * margin) * torch.rand(n, _MAX_SHAPES, generator=g)
    angle = 2 * math.pi * torch.rand(n, _MAX_SHAPES, generator=g)
    scenes = []
    for i in range(n):
        scenes.append(
            tuple(
                Shape(SHAPE_KINDS[int(kind[i, j])], float(x[i, j]), float(y[i, j]), float(size[i, j]), float(angle[i, j]) if kind[i, j] else 0.0)
                for j in range(int(count[i]))
            )
        )
    return scenes


@dataclass
class PairedImages:
    """Paired translation data: ``inputs[i]`` translates to ``targets[i]``.

    ``inputs`` is ``(N, 1, H, W)`` (outline maps), ``targets`` ``(N, 3, H, W)``
    (renderings), both in ``[-1, 1]``; ``scenes`` the shapes each pair was drawn from
    (for looking things up, not needed for training).
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    scenes: list[tuple[Shape, ...]] = field(default_factory=list)
    name: str = "shapes"

    def __post_init__(self) -> None:
        if self.inputs.ndim != 4 or self.targets.ndim != 4:
            raise ValueError("inputs and targets must have shape (N, C, H, W)")
        if len(self.inputs) != len(self.targets) or self.inputs.shape[-2:] != self.targets.shape[-2:]:
            raise ValueError(f"inputs {tuple(self.inputs.shape)} and targets {tuple(self.targets.shape)} do not pair up")
        if self.scenes and len(self.scenes) != len(self.inputs):
            raise ValueError("scenes and images differ in length")

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def image_size(self) -> int:
        return int(self.inputs.shape[-1])

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` random pairs (with replacement) as ``(targets, inputs)``.

        The real image comes first and its condition second, the order of
        :meth:`~modules.data.images.ImageDataset.sample_with_labels`: this is the
        ``real_sampler`` of the trainer's paired mode.
        """
        idx = torch.randint(len(self), (n,), generator=generator)
        return self.targets[idx], self.inputs[idx]

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[PairedImages, PairedImages]:
        """A seeded random ``(train, test)`` split; the test pairs measure how well a
        translator does on outlines it never saw."""
        if not 0 < test_fraction < 1:
            raise ValueError("test_fraction must lie strictly between 0 and 1")
        if len(self) < 2:
            raise ValueError("a split needs at least two pairs")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        n_test = min(len(self) - 1, max(1, int(round(len(self) * test_fraction))))
        return self._subset(order[n_test:]), self._subset(order[:n_test])

    def _subset(self, idx: torch.Tensor) -> PairedImages:
        scenes = [self.scenes[i] for i in idx.tolist()] if self.scenes else []
        return PairedImages(self.inputs[idx], self.targets[idx], scenes, self.name)


def shape_scenes(n: int, size: int = 32, seed: int = 0) -> PairedImages:
    """``n`` outline -> rendering pairs of random shape scenes (see the module docstring).

    ``size`` is a power of two from 16 to 256.  The same ``seed`` gives the same scenes
    at every size, so a 32-pixel and a 128-pixel data set show the same pictures.
    """
    _check_size(size)
    scenes = random_scenes(n, seed)
    rendering = _render(_params_of(scenes), size)
    return PairedImages(rendering.inputs.contiguous(), rendering.targets.contiguous(), scenes)


def shape_colours(images: torch.Tensor, scenes: list[tuple[Shape, ...]] | tuple[tuple[Shape, ...], ...], min_pixels: int = 4) -> list[tuple[str, str]]:
    """What colour each visible shape of ``scenes`` has in ``images`` (``(N, 3, H, W)``
    in ``[-1, 1]``, one image per scene): ``(kind, colour)`` pairs, where ``colour`` is
    the kind of :data:`SHAPE_COLOURS` whose strongest channel (red, green or blue) is the
    strongest of the image's mean over the shape's visible pixels.  Shapes with fewer
    than ``min_pixels`` visible pixels (hidden behind others) are left out.  A
    rendering of the scenes themselves gives every shape its own kind's colour, since
    shading scales all three channels alike and the grey floor adds to them alike."""
    if images.ndim != 4 or images.shape[1] != 3 or len(images) != len(scenes):
        raise ValueError(f"need one (3, H, W) image per scene (got {tuple(images.shape)} for {len(scenes)} scenes)")
    _check_size(int(images.shape[-1]))
    labels = _render(_params_of(scenes), int(images.shape[-1])).labels
    strongest = {max(range(3), key=SHAPE_COLOURS[kind].__getitem__): kind for kind in SHAPE_KINDS}
    found = []
    for image, label, scene in zip(images.detach().float().cpu(), labels, scenes):
        for k, shape in enumerate(scene):
            where = label == k + 1
            if int(where.sum()) >= min_pixels:
                mean = image[:, where].mean(dim=1)
                found.append((shape.kind, strongest[int(mean.argmax())]))
    return found


def right_colour_share(images: torch.Tensor, scenes: list[tuple[Shape, ...]] | tuple[tuple[Shape, ...], ...]) -> float:
    """The share of visible shapes that ``images`` paint in their own kind's colour
    (:func:`shape_colours`): 1 for the targets, about a third for colours by chance."""
    found = shape_colours(images, scenes)
    return sum(kind == colour for kind, colour in found) / max(1, len(found))


PAIRED_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def paired_folder(path: str, size: int = 256, direction: str = "AtoB") -> PairedImages:
    """Paired images in the layout of the pix2pix data sets (facades, maps,
    edges2shoes, cityscapes ...): every image file holds the two halves of a pair
    side by side, A on the left and B on the right.  Files are read from ``path`` and
    its sub-folders (``train/``, ``val/`` ...) in sorted order; each half is resized
    to ``size`` x ``size`` RGB.  ``direction="AtoB"`` translates the left half into
    the right one, ``"BtoA"`` the other way (facades are usually trained BtoA: label
    map -> photo).  A folder without images, or a file that cannot be read, raises
    :class:`~modules.data.images.DatasetUnavailable` with a one-line message.
    """
    from pathlib import Path

    from PIL import Image, UnidentifiedImageError

    _check_size(size)
    if direction not in ("AtoB", "BtoA"):
        raise ValueError(f"direction must be 'AtoB' or 'BtoA' (got {direction!r})")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetUnavailable(f"--data-dir {root} is not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in PAIRED_SUFFIXES)
    if len(files) < 2:
        raise DatasetUnavailable(f"{len(files) or 'no'} image{'' if len(files) == 1 else 's'} ({', '.join(PAIRED_SUFFIXES[:3])}, ...) found in {root}; training and held-out pairs need at least two")
    halves: list[list[torch.Tensor]] = [[], []]
    for file in files:
        try:
            with Image.open(file) as img:
                img = img.convert("RGB")
                w, h = img.size
                if w < 2:
                    raise ValueError(f"{w} pixels wide")
                for k, box in enumerate(((0, 0, w // 2, h), (w // 2, 0, w, h))):
                    half = img.crop(box).resize((size, size), Image.Resampling.BILINEAR)
                    data = torch.frombuffer(bytearray(half.tobytes()), dtype=torch.uint8).view(size, size, 3)
                    halves[k].append(data.permute(2, 0, 1))
        except (OSError, UnidentifiedImageError, ValueError) as err:
            raise DatasetUnavailable(f"cannot read paired image {file}: {err}") from None
    a, b = (torch.stack(h).float() / 127.5 - 1.0 for h in halves)
    inputs, targets = (a, b) if direction == "AtoB" else (b, a)
    return PairedImages(inputs.contiguous(), targets.contiguous(), [], name=root.name)


def best_constant_l1(targets: torch.Tensor) -> float:
    """The mean absolute error of the best output that ignores the input.

    Under the L1 error the best constant is the median: the per-pixel-and-channel
    median image of ``targets`` (a blurry "average scene").  Its error on
    ``targets`` is the bar a translator must clear: a generator whose held-out L1 is
    not clearly below it has learned nothing from its inputs.
    """
    if targets.ndim < 2 or len(targets) == 0:
        raise ValueError("targets must be a non-empty batch of images")
    median = targets.median(dim=0).values
    return float((targets - median).abs().mean())


# ---------------------------------------------------------------------------
# Unpaired domains: digits and styled digits (CycleGAN)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DigitStyle:
    """A deterministic restyling of grey digits into colour.

    The ink (``(x + 1) / 2`` of a white-on-black digit) is first thickened by a grey
    dilation (a max-pool, ``thickness`` pixels of radius at 32x32, scaled with the
    size), then painted: ``ink`` colour where the digit is, ``paper`` colour elsewhere,
    blended by the ink's value.  Colours are RGB in ``[0, 1]``.
    """

    paper: tuple[float, float, float]
    ink: tuple[float, float, float]
    thickness: int = 1

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
        grey = images.mean(dim=1, keepdim=True)  # 3 grey channels -> 1
        ink = ((grey + 1) / 2).clamp(0, 1)
        radius = max(1, round(self.thickness * images.shape[-1] / 32)) if self.thickness > 0 else 0
        if radius:
            ink = F.max_pool2d(ink, 2 * radius + 1, stride=1, padding=radius)
        paper = torch.tensor(self.paper, dtype=images.dtype).view(1, 3, 1, 1)
        colour = torch.tensor(self.ink, dtype=images.dtype).view(1, 3, 1, 1)
        return (paper * (1 - ink) + colour * ink) * 2 - 1


STYLES: dict[str, DigitStyle] = {
    # dark-blue, thicker strokes on cream paper: inverted brightness, new colour, new width
    "inverted-thick-blue": DigitStyle(paper=(0.96, 0.92, 0.80), ink=(0.10, 0.16, 0.50), thickness=1),
}


def _style(name: str) -> DigitStyle:
    if name not in STYLES:
        raise ValueError(f"unknown style {name!r}; choose one of {', '.join(STYLES)}")
    return STYLES[name]


def stylise(images: torch.Tensor, style: str = "inverted-thick-blue") -> torch.Tensor:
    """Domain B of domain-A digits: ``(N, 1 or 3, H, W)`` grey in ``[-1, 1]`` ->
    ``(N, 3, H, W)`` in ``[-1, 1]``, by the :class:`DigitStyle` named ``style``.

    Three grey channels (domain A) are averaged back to one first.  This is the
    correct answer of an A -> B translation, known here only because the data is made
    by code.
    """
    return _style(style)(images)


@dataclass
class UnpairedDomains:
    """Two domains of 3-channel images in ``[-1, 1]`` with no pairing between them.

    ``a`` (plain digits, grey in 3 channels) and ``b`` (styled digits) come from
    disjoint halves of a data set's training digits (``a_indices`` and ``b_indices``
    index them), ``test_a`` from its held-out digits (``test_indices``), which
    neither domain trained on; :meth:`correct_b_of` gives their correct translation.
    The labels are kept for evaluation only; a CycleGAN never sees them.
    """

    a: ImageDataset
    b: ImageDataset
    test_a: ImageDataset
    style: str
    a_indices: torch.Tensor
    b_indices: torch.Tensor
    test_indices: torch.Tensor

    @property
    def image_size(self) -> int:
        return self.a.image_size

    def sample_pair(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a_batch, b_batch)``: ``n`` images of each domain, drawn independently
        (with replacement), so the two batches have nothing to do with each other."""
        return self.a.sample(n, generator), self.b.sample(n, generator)

    def correct_b_of(self, images_a: torch.Tensor) -> torch.Tensor:
        """What a perfect A -> B translator outputs for ``images_a``: their styled version."""
        return stylise(images_a, self.style)

    @property
    def test_b(self) -> ImageDataset:
        """The styled twins of ``test_a`` (same order and labels): test inputs for
        B -> A, whose correct answers are ``test_a``."""
        images, labels = self.test_a.tensors()
        return ImageDataset(self.b.name, self.correct_b_of(images), labels, self.image_size, list(self.b.class_names))


def digit_styles(size: int = 32, style: str = "inverted-thick-blue", test_fraction: float = 0.2, seed: int = 0, dataset: str = "mnist-5k") -> UnpairedDomains:
    """Unpaired digit domains for CycleGAN (see the module docstring).

    ``dataset`` names the source digits (``mnist-5k``, real MNIST digits that ship
    offline; ``digits``, scikit-learn's 8x8; or any built-in labelled data set).  Its
    held-out part (:func:`~modules.data.images.held_out_split`: ``mnist-5k``'s fixed
    1,000 digits, else a ``seed``-ed ``test_fraction`` of the images) becomes
    ``test_a``: with ``seed`` 0 these are the digits the judge of the same data set
    (:class:`~modules.evaluation.classifier.ClassifierRecipe`) never trained on.  The
    training part is shuffled with ``seed`` and cut in two halves: the first half is
    domain A, the second half, styled, domain B; the held-out part is shuffled too.
    ``a_indices`` and ``b_indices`` index the training part, ``test_indices`` the
    held-out part.  ``size`` is a power
    of two from 16 to 256.  A's images are stored at the digits' own size and resized
    when sampled; B's at ``size``, since the style is applied at that size.
    """
    style_fn = _style(style)
    _check_size(size)
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must lie strictly between 0 and 1")
    train, test = held_out_split(dataset, size, 1, seed, test_fraction)
    rng = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(train), generator=rng)
    a_idx, b_idx = order[: len(order) // 2], order[len(order) // 2 :]
    test_idx = torch.randperm(len(test), generator=rng)  # mnist-5k is stored class by class: mix them

    def grey3(source: ImageDataset, idx: torch.Tensor) -> ImageDataset:
        return ImageDataset(source.name, source.images[idx].repeat(1, 3, 1, 1), source.labels[idx], size, list(source.class_names))

    b_images, b_labels = train.tensors(b_idx)
    b = ImageDataset(f"{train.name}-{style}", style_fn(b_images).contiguous(), b_labels, size, list(train.class_names))
    return UnpairedDomains(grey3(train, a_idx), b, grey3(test, test_idx), style, a_idx, b_idx, test_idx)
