"""Experiments: recipes of the trained models the lessons show, cached and shared.

* :mod:`~modules.experiments.toy2d` -- 2-D experiments: recipes, cached runs, parallel workers
* :mod:`~modules.experiments.dcgan` -- the DCGAN, conditional DCGAN and WGAN-GP
* :mod:`~modules.experiments.translation` -- pix2pix and CycleGAN (12.1.8)
* :mod:`~modules.experiments.stylegan` -- StyleGAN-lite (12.1.9)
* :mod:`~modules.experiments.workers` -- trained GANs from the model cache, several trained at once
"""

__all__: list[str] = []
