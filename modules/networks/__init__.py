"""The networks: generators, discriminators and the digit judge (no training here).

* :mod:`~modules.networks.mlp` -- fully connected generators and discriminators (12.1.1, 12.1.6)
* :mod:`~modules.networks.dcgan` -- the convolutional family of 12.1.2, conditional in 12.1.3
* :mod:`~modules.networks.classifier` -- the small digit classifier
* :mod:`~modules.networks.translation` -- U-Net generator and PatchGAN discriminator (12.1.8)
* :mod:`~modules.networks.stylegan` -- the style-based generator (12.1.9)
"""

__all__: list[str] = []
