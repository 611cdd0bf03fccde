"""From two frames to the model's views: aligned onset/apex crops and the flow between them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from zoo.sdk import InputError
from zoo_deft_llm.face import Alignment, align_face
from zoo_deft_llm.flow import compute_flow


@dataclass
class PreparedClip:
    """Aligned BGR crops ``(S, S, 3)`` uint8, their flow ``(S, S, 2)`` and the alignment used."""

    onset: np.ndarray
    apex: np.ndarray
    flow: np.ndarray
    alignment: Alignment


def read_frame(path: str | Path) -> np.ndarray:
    """Read a BGR frame (jpg, png, bmp).

    Raises:
        InputError: if the file is missing or not an image OpenCV can decode.
    """
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"Cannot read image {path}: missing or not an image (expected a jpg/png/bmp frame).")
    return image


def prepare_clip(onset: np.ndarray, apex: np.ndarray, size: int = 128, flow_method: str = "tvl1",
                 landmarks: str = "none") -> PreparedClip:
    """Align both frames with the onset's face alignment and compute onset→apex flow on the crops.

    ``landmarks`` selects the alignment (``"none"`` Haar, ``"dlib"`` 68 landmarks, ``"auto"``; see
    :func:`zoo_deft_llm.face.align_face`).

    Raises:
        InputError: if the two frames differ in size (they must come from one clip).
    """
    if onset.shape != apex.shape:
        raise InputError(f"Onset {onset.shape} and apex {apex.shape} frames differ in size; pass two frames of one clip.")
    alignment = align_face(onset, size, landmarks=landmarks)
    onset_crop, apex_crop = alignment.warp(onset), alignment.warp(apex)
    return PreparedClip(onset_crop, apex_crop, compute_flow(onset_crop, apex_crop, flow_method), alignment)


def to_views(clip: PreparedClip, model_size: int):
    """Tensors for the experts: ``onset``/``apex`` ``[3, s, s]`` in [0, 1] (RGB), ``flow`` ``[2, s, s]``.

    The flow is resized to the model's input size and its vectors scaled by the same factor, so
    that pixel displacements stay in the model's pixel units. A landmark alignment adds
    ``regions`` ``[R, 4]``: the landmark-anchored region boxes (fractions of the crop, in the FACS
    table's region order) that the motion-semantics expert pools.
    """
    import torch

    def image(crop: np.ndarray) -> "torch.Tensor":
        resized = cv2.resize(crop, (model_size, model_size), interpolation=cv2.INTER_AREA)
        return torch.from_numpy(cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)).permute(2, 0, 1).float() / 255.0

    factor = model_size / clip.flow.shape[0]
    flow = cv2.resize(clip.flow, (model_size, model_size), interpolation=cv2.INTER_AREA) * factor
    views = {"onset": image(clip.onset), "apex": image(clip.apex), "flow": torch.from_numpy(flow).permute(2, 0, 1).float()}
    if clip.alignment.landmarks is not None:
        from zoo_deft_llm.facs import load_table
        from zoo_deft_llm.regions import landmark_boxes

        names = load_table().region_list
        boxes = landmark_boxes(clip.alignment.landmarks, clip.flow.shape[0], names)
        views["regions"] = torch.tensor([boxes[name] for name in names], dtype=torch.float32)
    return views
