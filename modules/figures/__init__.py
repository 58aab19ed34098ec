"""The figures the lessons show.

* :mod:`~modules.figures.plotting` -- plots of samples, losses, runs and diagrams
* :mod:`~modules.figures.style_diagrams` -- the style-based generator's diagrams (12.1.9)
* :mod:`~modules.figures.output` -- a script's figures in a window or as files, samples as PNGs
"""

__all__: list[str] = []
