"""Micro-expression data shared by the zoo's MER plugins (Depth-MER, DEFT-LLM).

- :mod:`zoo_mer_data.sheets`: label spreadsheets read by column *name* (openpyxl).
- :mod:`zoo_mer_data.classes`: emotion → class mappings (CAS(ME)^3 3/4/7 classes, a generic builder).
- :mod:`zoo_mer_data.casme3`: CAS(ME)^3 Part A labels with a quirk report, and its frame layouts.
- :mod:`zoo_mer_data.loso`: leave-one-subject-out folds and pooled UF1/UAR (on ``zoo.protocols``).
"""

__version__ = "0.1.0"
