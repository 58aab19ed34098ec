"""The game and its loop (lessons 12.1.1 onwards).

* :mod:`~modules.game.plain` -- the plain game's two steps, as lesson 12.1.1 shows them
* :mod:`~modules.game.loop` -- :class:`GANTrainer`: rounds of a D phase and a G phase
* :mod:`~modules.game.games` -- kinds of game: what D sees and what G is given
* :mod:`~modules.game.losses` -- adversarial losses
* :mod:`~modules.game.terms` -- terms composed with a loss (gradient penalty, L1, cycle, ...)
* :mod:`~modules.game.objective` -- a loss and its parts, and the objectives the lessons name
* :mod:`~modules.game.tricks` -- training tricks, each acting where it belongs
* :mod:`~modules.game.config`, :mod:`~modules.game.history`, :mod:`~modules.game.runtime`,
  :mod:`~modules.game.state` -- settings, records and callbacks, seeds and devices, checkpoints
"""

from .config import TrainConfig
from .history import Callback, EvalEvery, History
from .loop import GANTrainer
from .objective import Objective, named_objective
from .runtime import TrainingDiverged, resolve_device, seed_everything, torch_threads

__all__ = [
    "GANTrainer",
    "TrainConfig",
    "History",
    "Callback",
    "EvalEvery",
    "Objective",
    "named_objective",
    "TrainingDiverged",
    "seed_everything",
    "torch_threads",
    "resolve_device",
]
