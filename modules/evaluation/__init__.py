"""Judging generators and runs.

* :mod:`~modules.evaluation.metrics` -- numbers on samples the lessons report and the gates check
* :mod:`~modules.evaluation.classifier` -- the cached digit classifier that judges samples
* :mod:`~modules.evaluation.feature_metrics` -- FID, KID, precision and recall, IS (12.1.7)
* :mod:`~modules.evaluation.monitor` -- the training health monitor (a trainer callback)
"""

__all__: list[str] = []
