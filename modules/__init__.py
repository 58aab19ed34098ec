"""Shared code of the GAN course (chapter 12.1).

The lesson scripts in ``gallery/`` are thin: they tell a lesson's story and import
everything else from here.  The package is organised by what things are:

* :mod:`modules.data` -- target distributions, noise samplers, toy image patterns
* :mod:`modules.image_data` -- the image dataset factory (digits, MNIST, folders)
* :mod:`modules.models` -- generator and discriminator families, the digit classifier
* :mod:`modules.game` -- the game and its one loop: losses, terms, tricks, kinds of game
* :mod:`modules.distributed` -- the same trainer under ``torchrun`` (DistributedDataParallel)
* :mod:`modules.monitor` -- the training health monitor (a trainer callback)
* :mod:`modules.toy2d` -- 2-D experiments: recipes, cached runs, parallel workers
* :mod:`modules.checkpoints` -- safe, atomic checkpoint files and the model cache
* :mod:`modules.recipes` -- trained models several scripts share (cached)
* :mod:`modules.metrics` -- numbers the lessons report and the tests check
* :mod:`modules.results` -- named results: what a script records for its lesson page to show
* :mod:`modules.plotting` -- the figures the lessons show
* :mod:`modules.cli` -- top-of-file constants to flags, presets, bad-input handling

Importing the package has no side effects: no device checks, no folders, no global
settings.
"""

__version__ = "0.1.0"
