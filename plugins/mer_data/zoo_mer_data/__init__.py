"""Micro-expression data shared by the zoo's MER plugins (Depth-MER, DEFT-LLM).

- :mod:`zoo_mer_data.clips`: the one clip record (:class:`~zoo_mer_data.clips.ClipRecord`) every
  reader returns, the frame checks, and the base of the registered datasets.
- :mod:`zoo_mer_data.report`: what a loader adjusted or skipped (``strict`` switch, one warning).
- :mod:`zoo_mer_data.sheets`: label spreadsheets read by column *name* (openpyxl).
- :mod:`zoo_mer_data.classes`: every class setting (CASME II, SAMM, SMIC, MEGC2019, CAS(ME)^3 3/4/7).
- :mod:`zoo_mer_data.casme2`, :mod:`~zoo_mer_data.samm`, :mod:`~zoo_mer_data.smic`,
  :mod:`~zoo_mer_data.megc`, :mod:`~zoo_mer_data.casme3`: the readers of the real layouts.

Leave-one-subject-out folds are the engine's (``zoo.sdk.loso_splits``, ``protocol = "loso"``).
"""

__version__ = "0.1.0"
