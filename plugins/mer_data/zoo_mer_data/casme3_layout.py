"""Where CAS(ME)^3 Part A frames live on disk, for the two layouts in circulation.

- ``frames``: ``…/RGB/<Subject>/<Filename>/color/<frame>.jpg`` and
  ``…/depth/<Subject>/<Filename>/depth/<frame>.png`` (frame = the label sheet's frame number).
- ``clip``: ``…/Part_A_ME_clip/{frame,depth}/<Subject>_<Filename>_<Onset>/<index>.{jpg,png}``
  with ``index = frame - onset`` (0 = the onset frame); a file named by the absolute frame number
  is accepted too.

``…`` is any prefix: the folders are searched up to three levels below the root given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zoo.sdk import InputError
from zoo_mer_data.casme3 import Casme3Label

Modality = Literal["rgb", "depth"]
_SEARCH_DEPTH = 3


def _find_dir(root: Path, name: str) -> Path | None:
    """The shallowest folder called ``name`` (case-insensitive) at most three levels below ``root``."""
    level = [root]
    for _ in range(_SEARCH_DEPTH):
        children = sorted(p for folder in level for p in folder.iterdir() if p.is_dir())
        hit = next((p for p in children if p.name.lower() == name.lower()), None)
        if hit is not None:
            return hit
        level = children
    return None


@dataclass(frozen=True)
class Casme3Layout:
    """Resolves a label's frame numbers to files; ``kind`` says which layout was found."""

    kind: Literal["frames", "clip"]
    rgb_dir: Path | None
    depth_dir: Path | None

    @classmethod
    def discover(cls, root: str | Path, layout: Literal["auto", "frames", "clip"] = "auto") -> "Casme3Layout":
        """Find the layout under ``root``.

        Raises:
            InputError: if neither layout's folders are found.
        """
        root = Path(root)
        if not root.is_dir():
            raise InputError(f"CAS(ME)^3 root {root} is not a folder.")
        if layout in ("auto", "clip"):
            clip = _find_dir(root, "Part_A_ME_clip")
            if clip is not None:
                return cls("clip", _child(clip, "frame"), _child(clip, "depth"))
        if layout in ("auto", "frames"):
            rgb, depth = _find_dir(root, "RGB"), _find_dir(root, "depth")
            if rgb is not None or depth is not None:
                return cls("frames", rgb, depth)
        raise InputError(
            f"No CAS(ME)^3 Part A frames under {root}: expected RGB/<Subject>/<Filename>/color/ and "
            "depth/<Subject>/<Filename>/depth/, or Part_A_ME_clip/{frame,depth}/<Subject>_<Filename>_<Onset>/."
        )

    def frame_path(self, label: Casme3Label, frame: int, modality: Modality) -> Path:
        """The file of ``frame`` (may not exist: the caller reports missing frames).

        Raises:
            InputError: if the layout has no folder for ``modality``.
        """
        base = self.rgb_dir if modality == "rgb" else self.depth_dir
        if base is None:
            raise InputError(f"This CAS(ME)^3 copy has no {modality} folder.")
        ext = ".jpg" if modality == "rgb" else ".png"
        if self.kind == "clip":
            folder = _existing(base, [f"{label.subject}_{name}_{label.onset}" for name in _spellings(label)])
            relative = folder / f"{frame - label.onset}{ext}"
            absolute = folder / f"{frame}{ext}"
            return relative if relative.exists() or not absolute.exists() else absolute
        inner = "color" if modality == "rgb" else "depth"
        folder = _existing(base / label.subject, _spellings(label))
        return folder / inner / f"{frame}{ext}"


def _child(folder: Path, name: str) -> Path | None:
    path = folder / name
    return path if path.is_dir() else None


def _spellings(label: Casme3Label) -> list[str]:
    # One Filename is upper-case in the sheet; the folder may be spelt either way.
    return list(dict.fromkeys([label.filename, label.filename.upper()]))


def _existing(base: Path, names: list[str]) -> Path:
    for name in names:
        if (base / name).is_dir():
            return base / name
    return base / names[0]
