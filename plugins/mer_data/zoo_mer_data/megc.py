"""The MEGC2019 composite: SMIC-HS + CASME II + SAMM mapped to negative / positive / surprise.

negative = CASME II {disgust, repression} ∪ SAMM {anger, contempt, disgust, fear, sadness} ∪ SMIC
negative; positive = happiness / SMIC positive; surprise = surprise; everything else is left out
(442 clips, 68 subjects on the full data). Subjects are prefixed by their dataset so that LOSO
never merges two datasets' ``sub01``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from zoo.errors import InputError
from zoo_mer_data import casme2, samm, smic
from zoo_mer_data.casme2 import ClipRecord, MERClips
from zoo_mer_data.classes import make_mapping

MEGC_CLASSES = ("negative", "positive", "surprise")
#: The composite's class setting, over the already-mapped emotions.
MEGC_3 = make_mapping("megc2019-3", {c: [c] for c in MEGC_CLASSES})
MEGC_MAPPING: dict[str, dict[str, str]] = {
    "casme2": {"disgust": "negative", "repression": "negative", "happiness": "positive", "surprise": "surprise"},
    "samm": {e: "negative" for e in ("anger", "contempt", "disgust", "fear", "sadness")} | {"happiness": "positive", "surprise": "surprise"},
    "smic": {"negative": "negative", "positive": "positive", "surprise": "surprise"},
}
_PARTS = {"casme2": ("CASME2", "CASME II", "casme2"), "samm": ("SAMM",), "smic": ("SMIC", "SMIC-HS", "smic")}


def to_megc(clip: ClipRecord) -> ClipRecord | None:
    """The clip with its emotion mapped to the 3 MEGC classes, or ``None`` if left out."""
    emotion = MEGC_MAPPING[clip.dataset].get(clip.emotion)
    if emotion is None:
        return None
    return replace(clip, emotion=emotion, subject=f"{clip.dataset}/{clip.subject}")


def list_clips(root: str | Path) -> list[ClipRecord]:
    """The composite's clips from ``root/{SMIC,CASME2,SAMM}`` (each part optional, at least one).

    Raises:
        InputError: if none of the three parts is found under ``root``.
    """
    root = Path(root)
    readers = {"casme2": casme2.list_clips, "samm": samm.list_clips, "smic": smic.list_clips}
    clips: list[ClipRecord] = []
    for name, reader in readers.items():
        folder = next((root / p for p in _PARTS[name] if (root / p).is_dir()), None)
        if folder is not None:
            clips += [m for c in reader(folder, name) if (m := to_megc(c)) is not None]
    if not clips:
        raise InputError(f"No MEGC2019 part under {root}; expected sub-folders {', '.join(p[0] for p in _PARTS.values())}.")
    return clips


class MegcClips(MERClips):
    """``dataset/megc2019``: the composite (SMIC-HS + CASME II + SAMM), 3 classes."""

    mapping = MEGC_3

    def read(self, root: str) -> list[ClipRecord]:
        return list_clips(root)
