"""What the lessons train on, all made by code or shipped inside installed packages.

* :mod:`~modules.data.synthetic` -- target distributions, noise samplers, toy image patterns
* :mod:`~modules.data.images` -- the image dataset factory (digits, MNIST, faces, folders)
* :mod:`~modules.data.translation` -- paired and unpaired image domains (lesson 12.1.8)
"""

__all__: list[str] = []
