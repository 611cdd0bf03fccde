"""The base of every MER clip dataset: items are metadata dicts, batches are lists of them.

A method plugin reads the frames its own way (Depth-MER: depth PNGs; DEFT-LLM: RGB), so the shared
datasets only list clips. Keeping this behaviour in one class keeps the item contract (``subject``
for LOSO, ``label`` for the class setting) the same for CAS(ME)^3, CASME II, SAMM, SMIC and MEGC.
"""

from __future__ import annotations

from typing import Any

import zoo


class ClipList(zoo.Dataset):
    """A list of clip dicts with ``subject`` and ``label``; subclasses fill ``items`` and ``mapping``."""

    items: list[dict[str, Any]]

    @property
    def classes(self) -> tuple[str, ...]:
        return self.mapping.classes

    @property
    def subjects(self) -> list[str]:
        """The subject of each item (for ``zoo_mer_data.loso`` and the engine's LOSO protocol)."""
        return [item["subject"] for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index]

    def collate(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items are metadata; a batch is their list."""
        return list(items)
