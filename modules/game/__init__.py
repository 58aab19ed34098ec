"""The game and its loop (lessons 12.1.1 onwards).

Import each name from the module that defines it, e.g.
``from modules.game.loop import GANTrainer``: the package itself re-exports
nothing, so every name has one home (and one entry in the API reference).

* :mod:`~modules.game.plain` -- the plain game's two steps, as lesson 12.1.1 shows them
* :mod:`~modules.game.loop` -- :class:`~modules.game.loop.GANTrainer`: rounds of a D phase and a G phase
* :mod:`~modules.game.sampling` -- samples from a trainer's generator, without touching training
* :mod:`~modules.game.games` -- kinds of game: what D sees and what G is given
* :mod:`~modules.game.losses` -- adversarial losses
* :mod:`~modules.game.terms` -- terms composed with a loss (gradient penalty, L1, cycle, ...)
* :mod:`~modules.game.objective` -- a loss and its parts, and the objectives the lessons name
* :mod:`~modules.game.tricks` -- training tricks, each acting where it belongs
* :mod:`~modules.game.distributed` -- the same loop under ``torchrun`` (DistributedDataParallel)
* :mod:`~modules.game.tensorboard` -- an optional TensorBoard log of a run (``--tensorboard DIR``)
* :mod:`~modules.game.config`, :mod:`~modules.game.history`, :mod:`~modules.game.runtime`,
  :mod:`~modules.game.state` -- settings, records and callbacks, seeds and devices, checkpoints
* :mod:`~modules.game.runs` -- runs made once and cached, several at once in worker processes
"""

__all__: list[str] = []
