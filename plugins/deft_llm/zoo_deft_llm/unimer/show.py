"""``--show``: one PNG per clip with the flow field and the regions whose statements were kept/rejected."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from zoo_deft_llm.facs import FacsTable, parse_aus
from zoo_deft_llm.fileio import atomic_output_file
from zoo_deft_llm.preprocess import PreparedClip
from zoo_deft_llm.regions import landmark_boxes
from zoo_deft_llm.unimer.constraint import ConstraintResult

KEPT, REJECTED, OTHER = (60, 200, 60), (40, 40, 230), (150, 150, 150)  # BGR
SCALE = 3


def flow_to_bgr(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """The usual HSV flow colouring: hue = direction, value = magnitude (saturating at the 99th percentile)."""
    magnitude, angle = cv2.cartToPolar(flow[..., 0].astype(np.float32), flow[..., 1].astype(np.float32))
    top = max_magnitude or float(np.percentile(magnitude, 99)) or 1.0
    hsv = np.zeros((*flow.shape[:2], 3), np.uint8)
    hsv[..., 0] = (angle * 90 / np.pi).astype(np.uint8)
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(255 * magnitude / top, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def region_colours(result: ConstraintResult, aus: str | None, table: FacsTable) -> dict[str, tuple[int, int, int]]:
    """Green for regions of kept statements, red for the regions of rejected AUs, grey otherwise."""
    colours = {name: OTHER for name in table.regions}
    rejected_codes = {r["au"] for r in result.rejected}
    for label in parse_aus(aus) if aus else []:
        if label.code in rejected_codes and label.au in table.au_regions:
            for region in table.regions_for(label):
                colours[region] = REJECTED
    for kept in result.kept:
        for region in kept["regions"]:
            colours[region] = KEPT
    return colours


def render(prepared: PreparedClip, result: ConstraintResult, aus: str | None, table: FacsTable, title: str) -> np.ndarray:
    """The figure as a BGR image: onset crop with flow arrows, region boxes (and landmarks) | flow colouring | text."""
    size = prepared.flow.shape[0]
    big = size * SCALE
    left = cv2.resize(prepared.onset, (big, big), interpolation=cv2.INTER_NEAREST)
    step = max(size // 16, 2)
    gain = SCALE * 4.0  # arrows drawn 4× the measured displacement: sub-pixel motion is invisible otherwise
    for y in range(step // 2, size, step):
        for x in range(step // 2, size, step):
            dx, dy = prepared.flow[y, x]
            start = (x * SCALE, y * SCALE)
            cv2.arrowedLine(left, start, (int(start[0] + gain * dx), int(start[1] + gain * dy)), (0, 255, 255), 1, tipLength=0.3)
    points = prepared.alignment.landmarks
    boxes = landmark_boxes(points, size, table.region_list) if points is not None else table.regions
    for x, y in (points if points is not None else []):
        cv2.circle(left, (int(x * SCALE), int(y * SCALE)), 2, (255, 0, 255), -1)
    for name, colour in region_colours(result, aus, table).items():
        x0, y0, x1, y1 = (np.array(boxes[name]) * big).astype(int)
        cv2.rectangle(left, (x0, y0), (x1, y1), colour, 2 if colour != OTHER else 1)
    right = cv2.resize(flow_to_bgr(prepared.flow), (big, big), interpolation=cv2.INTER_NEAREST)
    lines = [title] + [f"kept: {k['statement']}" for k in result.kept] + [f"rejected {r['au']}: {r['reason']}" for r in result.rejected]
    panel = np.full((16 * len(lines) + 10, 2 * big, 3), 255, np.uint8)
    for row, line in enumerate(lines):
        cv2.putText(panel, line[:150], (5, 16 * row + 14), cv2.FONT_HERSHEY_PLAIN, 0.8, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([np.hstack([left, right]), panel])


def write_show(out_dir: str | Path, record: dict, prepared: PreparedClip, result: ConstraintResult, table: FacsTable) -> Path:
    """Write ``<out_dir>/<dataset>_<subject>_<clip>.png`` whole or not at all and return its path.

    The picture is encoded in memory and written to a hidden temporary sibling that is renamed over
    the final name (:func:`zoo_deft_llm.fileio.atomic_output_file`, as the JSONL is): a write that
    fails, is interrupted or gets SIGTERM removes the sibling and leaves an earlier PNG of that name
    as it was; a killed build may leave the hidden sibling, never a truncated PNG under the final
    name. An existing PNG of that name is replaced once the new one is complete.

    Raises:
        InputError: if the PNG's path is a folder or a symbolic link.
        OSError: if OpenCV cannot encode the picture or the file cannot be written (disk full...).
    """
    path = Path(out_dir) / f"{record['dataset']}_{record['subject']}_{record['clip']}.png".replace("/", "_")
    image = render(prepared, result, record["aus_labelled"], table, f"{record['id']}  emotion={record['emotion']}")
    # cv2.imwrite picks the format from the name (the temporary one has none) and only returns False
    # on failure; encoding first and writing the bytes ourselves makes both explicit.
    encoded, png = cv2.imencode(".png", image)
    if not encoded:
        raise OSError(f"OpenCV could not encode {path.name} as PNG.")
    with atomic_output_file(path, overwrite=True) as work:
        work.write_bytes(png.tobytes())
    return path
