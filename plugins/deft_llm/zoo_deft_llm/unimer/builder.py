"""Build Uni-MER records: per clip, align, flow, region motion, dual constraint, instructions."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from zoo_deft_llm.facs import FacsTable, load_table, parse_aus
from zoo_deft_llm.preprocess import PreparedClip, prepare_clip, read_frame
from zoo_deft_llm.regions import landmark_boxes, measure_regions
from zoo_deft_llm.unimer.constraint import ConstraintResult, Thresholds, apply_dual_constraint
from zoo_deft_llm.unimer.templates import TEMPLATES, format_answer, reasoning_for

NO_MOTION = "no significant local motion beyond the rigid head motion; no action unit is confirmed."


class ClipLike(Protocol):
    """What the builder needs of a labelled clip (``zoo_mer_data``'s clip records provide it)."""

    dataset: str
    subject: str
    clip: str
    onset_path: str
    apex_path: str
    emotion: str
    aus: str | None  # None: the dataset has no AU labels (SMIC)


@dataclass(frozen=True)
class BuildOptions:
    """How clips are measured: crop size, flow method, face landmarks, thresholds of the dual constraint.

    ``landmarks``: ``"dlib"`` aligns on 68 landmarks and measures landmark-anchored regions
    (``landmark_regions.json``); ``"none"`` uses Haar cascades and the FACS table's fixed boxes;
    ``"auto"`` is dlib where installed. A clip where dlib finds no face falls back to Haar and
    fixed boxes; each record says what was used (``alignment``, ``regions_from``).
    """

    size: int = 128
    flow_method: str = "tvl1"
    thresholds: Thresholds = Thresholds()
    facs_table: str | None = None
    landmarks: str = "none"


def caption(result: ConstraintResult) -> str:
    """The C of (C, E, R): the kept statements, or the no-motion sentence."""
    return "; ".join(result.statements) + "." if result.statements else NO_MOTION


def _pick(record_id: str, template: str) -> str:
    phrasings = TEMPLATES[template]
    return phrasings[zlib.crc32(f"{record_id}/{template}".encode()) % len(phrasings)]


def conversations(record_id: str, result: ConstraintResult, emotion: str, has_aus: bool) -> list[dict[str, str]]:
    """The instruction/answer pairs of one clip: (C, E, R), motion description and (if AUs) AU list."""
    text = caption(result)
    reasoning = reasoning_for(emotion, result.confirmed_codes or [s.split(" (")[0] for s in result.statements[:2]])
    pairs = [
        {"template": "cer", "instruction": _pick(record_id, "cer"), "answer": format_answer(text, emotion, reasoning)},
        {"template": "describe", "instruction": _pick(record_id, "describe"), "answer": text[0].upper() + text[1:]},
    ]
    if has_aus:
        codes = ", ".join(result.confirmed_codes) or "none confirmed by the motion"
        pairs.append({"template": "aus", "instruction": _pick(record_id, "aus"), "answer": f"Action units: {codes}."})
    return pairs


def build_record(clip: ClipLike, options: BuildOptions, table: FacsTable | None = None) -> tuple[dict[str, Any], PreparedClip, ConstraintResult]:
    """One Uni-MER record (JSON-able), plus the prepared crops/flow and the constraint result.

    Raises:
        InputError: if a frame cannot be read.
    """
    table = table or load_table(options.facs_table)
    prepared = prepare_clip(read_frame(clip.onset_path), read_frame(clip.apex_path), options.size, options.flow_method,
                            landmarks=options.landmarks)
    points = prepared.alignment.landmarks
    boxes = landmark_boxes(points, options.size, table.region_list) if points is not None else None
    motions, noise = measure_regions(prepared.flow, table, boxes)
    labels = parse_aus(clip.aus) if clip.aus is not None else None
    result = apply_dual_constraint(labels, motions, noise, table, options.thresholds)
    record_id = f"{clip.dataset}/{clip.subject}/{clip.clip}"
    record = {
        "id": record_id, "dataset": clip.dataset, "subject": clip.subject, "clip": clip.clip,
        "onset_path": str(clip.onset_path), "apex_path": str(clip.apex_path),
        "emotion": clip.emotion, "aus_labelled": clip.aus,
        "alignment": prepared.alignment.method, "flow_method": options.flow_method, "crop_size": options.size,
        "landmarks": options.landmarks, "regions_from": "landmarks" if boxes else "fixed boxes",
        **({"region_boxes": {k: [round(v, 4) for v in b] for k, b in boxes.items()},
            "landmarks_68": points.round(2).tolist()} if boxes else {}),
        "noise_px": round(noise, 4),
        "regions": {name: [round(m.dx, 4), round(m.dy, 4)] for name, m in motions.items()},
        "kept": result.kept, "rejected": result.rejected, "caption": caption(result),
        "conversations": conversations(record_id, result, clip.emotion, clip.aus is not None),
    }
    return record, prepared, result


def build_records(clips: Iterable[ClipLike], options: BuildOptions = BuildOptions()) -> Iterator[tuple[dict[str, Any], PreparedClip, ConstraintResult]]:
    """Records for every clip, in order (the FACS table is read once)."""
    table = load_table(options.facs_table)
    for clip in clips:
        yield build_record(clip, options, table)
