"""SMIC-HS in its real layout: ``HS/s<k>/micro/{positive,negative,surprise}/<clip>/reg_image<frame>.bmp``.

The class comes from the folder; there are no apex and no AU labels: the first frame is the onset
and the middle frame the usual apex stand-in (``apex_estimated=True``, ``aus=None``).
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo.errors import InputError
from zoo_mer_data.casme2 import ClipRecord, MERClips
from zoo_mer_data.classes import make_mapping

SMIC_CLASSES = ("negative", "positive", "surprise")
SMIC_3 = make_mapping("smic-3", {c: [c] for c in SMIC_CLASSES})
_FRAME = re.compile(r"(\d+)\.(?:bmp|jpg|png)$", re.IGNORECASE)


def list_clips(root: str | Path, dataset: str = "smic") -> list[ClipRecord]:
    """Every SMIC-HS micro clip (onset = first frame, apex = middle frame).

    Raises:
        InputError: if no ``HS/s*/micro/<class>/<clip>`` folder with frames exists under ``root``.
    """
    root = Path(root)
    hs = next((p for p in [root / "HS", *root.glob("*/HS"), root] if (p.is_dir() and any(p.glob("s*/micro")))), None)
    if hs is None:
        raise InputError(f"No SMIC-HS layout under {root} (expected HS/s<k>/micro/<class>/<clip>/reg_image<n>.bmp).")
    clips = []
    for subject_dir in sorted(hs.glob("s*"), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
        for emotion in SMIC_CLASSES:
            for clip_dir in sorted((subject_dir / "micro" / emotion).glob("*")):
                frames = sorted((int(m[1]), p) for p in clip_dir.iterdir() if (m := _FRAME.search(p.name)))
                if len(frames) < 2:
                    continue
                (onset, onset_path), (apex, apex_path) = frames[0], frames[len(frames) // 2]
                clips.append(ClipRecord(dataset, subject_dir.name, clip_dir.name, onset, apex, frames[-1][0],
                                        str(onset_path), str(apex_path), emotion, None, True))
    if not clips:
        raise InputError(f"No SMIC-HS clip with frames under {hs}.")
    return clips


class SmicClips(MERClips):
    """``dataset/smic-hs``: SMIC-HS clips, 3 classes (no AUs: ``aus`` is None)."""

    mapping = SMIC_3

    def read(self, root: str) -> list[ClipRecord]:
        return list_clips(root)
