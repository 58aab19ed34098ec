"""Shared code of the GAN course (chapter 12.1).

The lesson scripts in ``gallery/`` are thin: they tell a lesson's story and import
everything else from here.  The package is organised in layers, the lowest first; a
module imports only from its own layer and the layers below (``tests/test_layers.py``
checks it):

* :mod:`modules.storage` -- checkpoint files, the model cache, recorded results
* :mod:`modules.data` -- what the lessons train on: made by code or shipped in packages
* :mod:`modules.networks` -- generators, discriminators and the digit judge
* :mod:`modules.game` -- the game and its one loop: losses, terms, tricks, kinds of game
* :mod:`modules.evaluation` -- metrics, the digit judge's training, the health monitor
* :mod:`modules.figures` -- the figures the lessons show
* :mod:`modules.cli` -- top-of-file constants to flags, presets, bad-input handling
* :mod:`modules.experiments` -- recipes of the lessons' trained models, cached and shared

Importing the package has no side effects: no device checks, no folders, no global
settings.
"""

__version__ = "0.1.0"
