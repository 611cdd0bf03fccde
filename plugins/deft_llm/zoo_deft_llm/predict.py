"""``zoo predict deft-llm-synth ONSET APEX``: the (C, E, R) answer and the head's emotion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


from zoo.errors import InputError
from zoo_deft_llm.preprocess import prepare_clip, read_frame, to_views
from zoo_deft_llm.unimer.templates import parse_answer


def predict_clip(model, inputs: list[str], output_dir: str | None = None) -> dict[str, Any]:
    """Run DEFT-LLM on one clip given as two frames (onset, apex).

    Raises:
        InputError: unless exactly two readable image paths are given.
    """
    if len(inputs) != 2:
        raise InputError(f"DEFT-LLM predicts from two frames, ONSET and APEX; got {len(inputs)} input(s): {inputs}.")
    onset, apex = (read_frame(p) for p in inputs)
    prepared = prepare_clip(onset, apex, model.config.crop_size, model.config.flow_method, landmarks=model.config.landmarks)
    views = {k: v[None] for k, v in to_views(prepared, model.config.image_size).items()}
    model.eval()
    result = model.predict_batch(views, generate=True)
    probs = result["probs"][0]
    answer = result["answers"][0]
    parsed = parse_answer(answer)
    out = {
        "answer": answer,
        "caption": parsed.caption, "emotion": parsed.emotion, "reasoning": parsed.reasoning,
        "head_emotion": model.config.classes[int(probs.argmax())],
        "head_probabilities": {c: round(float(p), 4) for c, p in zip(model.config.classes, probs)},
        "face_alignment": prepared.alignment.method,
    }
    if output_dir:
        path = Path(output_dir)
        path.mkdir(parents=True, exist_ok=True)
        (path / "prediction.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
        out["written"] = str(path / "prediction.json")
    return out



