"""The model side of ``zoo.predict`` for DEFT-LLM: per-clip outputs and the picture of a prediction.

Outputs per clip: ``label`` (the classification head's emotion, the reported prediction),
``probabilities`` (per class), ``text`` (the generated (C, E, R) answer) with its parsed
``caption``, ``generated_label`` (``""`` if the text names no emotion) and ``reasoning``,
``face_alignment`` (landmarks / eyes / box / full-frame), ``regions`` (the three regions that move
most relative to the face, in crop pixels) and the ``onset``/``apex`` frames used.

The picture (``<stem>.png``): the aligned onset with the face regions coloured by how much each
moves; the apex with the flow field (arrows, magnified so the longest spans about one grid cell, coloured by magnitude, colour bar in
pixels of the crop); the head's probabilities and the generated description, side by side.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from zoo_deft_llm.unimer.templates import parse_answer

#: Arrows are magnified so that the longest spans this many grid cells: micro-expression motion is sub-pixel.
ARROW_CELLS = 1.2


def region_motion(prepared: Any) -> dict[str, tuple[float, float]]:
    """Each region's mean relative flow ``(dx, dy)`` in crop pixels, in the boxes the model pooled."""
    from zoo_deft_llm.facs import load_table
    from zoo_deft_llm.regions import landmark_boxes, measure_regions

    table = load_table()
    points = prepared.alignment.landmarks
    boxes = landmark_boxes(points, prepared.flow.shape[0], table.region_list) if points is not None else None
    motions, _ = measure_regions(prepared.flow, table, boxes)
    return {name: (m.dx, m.dy) for name, m in motions.items()}


def _region_boxes(prepared: Any) -> dict[str, tuple[float, float, float, float]]:
    from zoo_deft_llm.facs import load_table
    from zoo_deft_llm.regions import landmark_boxes

    table = load_table()
    points = prepared.alignment.landmarks
    return landmark_boxes(points, prepared.flow.shape[0], table.region_list) if points is not None else dict(table.regions)


def outputs_of(model: Any, batch: dict[str, Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    """One JSON-able outputs dict per clip of a processor batch (see the module docstring)."""
    classes = model.config.classes
    outputs = []
    for row, (probs, text) in enumerate(zip(result["probs"].float().cpu(), result["answers"])):
        parsed = parse_answer(text)
        clip = batch["clips"][row] if "clips" in batch else {}
        outputs.append({
            "label": classes[int(probs.argmax())],
            "probabilities": {name: round(float(p), 4) for name, p in zip(classes, probs)},
            "text": text, "caption": parsed.caption, "generated_label": parsed.emotion, "reasoning": parsed.reasoning,
            **clip,
        })
    return outputs


def clip_summary(item: Any) -> dict[str, Any]:
    """What the processor knows of a clip, for its outputs: frames, alignment, the regions that move most."""
    motion = region_motion(item.prepared)
    top = sorted(motion.items(), key=lambda kv: -np.hypot(*kv[1]))[:3]
    return {"face_alignment": item.prepared.alignment.method, "onset": item.onset, "apex": item.apex,
            "regions": [{"region": name, "dx": round(dx, 3), "dy": round(dy, 3)} for name, (dx, dy) in top]}


def _rgb(bgr: np.ndarray) -> np.ndarray:
    return bgr[..., ::-1]


def draw_prediction(item: Any, outputs: dict[str, Any], path: Path, classes: list[str]) -> Path:
    """Draw the picture of one prediction (see the module docstring) to ``path``; return it."""
    from matplotlib import cm, colors
    from matplotlib.patches import Rectangle

    from zoo.sdk import agg_pyplot, save_picture

    plt = agg_pyplot()
    prepared = item.prepared
    size = prepared.flow.shape[0]
    motion = region_motion(prepared)
    magnitudes = {name: float(np.hypot(dx, dy)) for name, (dx, dy) in motion.items()}
    fig = plt.figure(figsize=(15, 5.2))
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.25], height_ratios=[1, 1.6], wspace=0.25, hspace=0.35)
    faces, flow_ax = fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[:, 1])
    bars, text_ax = fig.add_subplot(grid[0, 2]), fig.add_subplot(grid[1, 2])

    top = max(max(magnitudes.values()), 1e-6)
    scale = colors.Normalize(0, top)
    faces.imshow(_rgb(prepared.onset))
    for name, (x0, y0, x1, y1) in _region_boxes(prepared).items():
        colour = cm.plasma(scale(magnitudes[name]))
        faces.add_patch(Rectangle((x0 * size, y0 * size), (x1 - x0) * size, (y1 - y0) * size, fill=False,
                                  edgecolor=colour, linewidth=1 + 2 * scale(magnitudes[name])))
    if prepared.alignment.landmarks is not None:
        faces.scatter(*prepared.alignment.landmarks.T, s=4, c="cyan")
    moving = sorted(magnitudes, key=lambda n: -magnitudes[n])[:3]
    faces.set_title(f"onset, face regions (alignment: {prepared.alignment.method})\nmost motion: " + ", ".join(moving),
                    fontsize=9)
    fig.colorbar(cm.ScalarMappable(scale, "plasma"), ax=faces, fraction=0.046, pad=0.02, label="region motion (px)")

    flow_ax.imshow(_rgb(prepared.apex), alpha=0.55)
    step = max(size // 16, 2)
    ys, xs = np.mgrid[step // 2:size:step, step // 2:size:step]
    relative = prepared.flow - np.median(prepared.flow.reshape(-1, 2), axis=0)
    u, v = relative[ys, xs, 0], relative[ys, xs, 1]
    gain = max(1.0, round(ARROW_CELLS * step / max(float(np.hypot(u, v).max()), 1e-6)))
    arrows = flow_ax.quiver(xs, ys, u * gain, v * gain, np.hypot(u, v), cmap="viridis",
                            angles="xy", scale_units="xy", scale=1, width=0.006)
    flow_ax.set_title(f"apex, flow onset→apex (relative to the head, arrows ×{gain:g})", fontsize=9)
    fig.colorbar(arrows, ax=flow_ax, fraction=0.046, pad=0.02, label="displacement (px)")
    for axis in (faces, flow_ax):
        axis.set_xlim(0, size)
        axis.set_ylim(size, 0)
        axis.set_xticks([])
        axis.set_yticks([])

    probabilities = [outputs["probabilities"][c] for c in classes]
    bars.barh(classes, probabilities, color=["tab:orange" if c == outputs["label"] else "tab:gray" for c in classes])
    bars.set_xlim(0, 1)
    bars.invert_yaxis()
    bars.set_title(f"head: {outputs['label']} ({outputs['probabilities'][outputs['label']]:.2f})", fontsize=10)
    bars.tick_params(labelsize=8)

    text_ax.axis("off")
    said = outputs["generated_label"] or "(none parsed)"
    body = [f"Generated emotion: {said}", "", *textwrap.wrap(f"Caption: {outputs['caption'] or '—'}", 62), "",
            *textwrap.wrap(f"Reasoning: {outputs['reasoning'] or '—'}", 62)]
    text_ax.text(0, 1, "\n".join(body[:22]), va="top", ha="left", fontsize=8.5, family="monospace",
                 transform=text_ax.transAxes)
    text_ax.set_title("generated description (C, E, R)", fontsize=10, loc="left")
    return save_picture(fig, path)
