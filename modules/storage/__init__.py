"""What runs write to disk: checkpoint files, the model cache, recorded results.

* :mod:`~modules.storage.checkpoints` -- safe, atomic checkpoint files and the model cache
* :mod:`~modules.storage.results` -- named results a script records for its lesson page
"""

__all__: list[str] = []
