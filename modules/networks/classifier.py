"""The small digit classifier: the judge of the lessons' quality gates.

It says which digit a generated image shows (lessons 12.1.2 onwards) and, through
:meth:`DigitClassifier.features`, extracts the features of the evaluation lesson
(12.1.7).  Training and caching it live in :mod:`modules.evaluation.classifier`.

Introduced in lesson 12.1.2 (DCGAN).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DigitClassifier"]


#: Features per image of :class:`DigitClassifier` (its hidden layer's width, by default).
FEATURE_DIM = 64


class DigitClassifier(nn.Module):
    """A small CNN that says which class an image shows: the judge of the lessons'
    quality gates (is this sample a 7?) and, through :meth:`features`, the feature
    extractor of the evaluation lesson.

    Two 3x3 convolution blocks with max-pooling, global average pooling to 4x4, one
    hidden layer of ``feature_dim`` units (the features), one linear layer of logits.
    ``input_size`` is the image size it was trained on.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, width: int = 16, feature_dim: int = FEATURE_DIM, input_size: int = 32) -> None:
        super().__init__()
        self.input_size = input_size  # images of another size are resized first (see modules.evaluation.classifier.classify)
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(2 * width * 16, feature_dim),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: one ``feature_dim`` vector per image."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
