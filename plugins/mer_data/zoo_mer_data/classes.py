"""Emotion → class mappings: CAS(ME)^3's 3/4/7-class settings and a generic builder for others."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from zoo.errors import ConfigError


def normalise_emotion(text: object) -> str:
    """Labels are compared lower-case and stripped (CAS(ME)^3 has both ``others`` and ``Others``)."""
    return str(text or "").strip().lower()


@dataclass(frozen=True)
class ClassMapping:
    """Raw emotion labels grouped into ordered classes; unmapped labels are left out (``None``)."""

    name: str
    classes: tuple[str, ...]
    groups: Mapping[str, str] = field(default_factory=dict)  # normalised raw label → class name

    def index(self, emotion: object) -> int | None:
        """The class index of a raw emotion label, or ``None`` if this setting leaves it out."""
        target = self.groups.get(normalise_emotion(emotion))
        return None if target is None else self.classes.index(target)

    def __len__(self) -> int:
        return len(self.classes)


def make_mapping(name: str, groups: Mapping[str, Sequence[str]]) -> ClassMapping:
    """Build a mapping from ``{class: [raw labels...]}`` (class order = insertion order).

    Raises:
        ConfigError: if a raw label is assigned to two classes or a class has no label.
    """
    flat: dict[str, str] = {}
    for cls, raws in groups.items():
        if not raws:
            raise ConfigError(f"Class {cls!r} of mapping {name!r} lists no raw labels.")
        for raw in raws:
            key = normalise_emotion(raw)
            if key in flat and flat[key] != cls:
                raise ConfigError(f"Label {raw!r} is in both {flat[key]!r} and {cls!r} of mapping {name!r}.")
            flat[key] = cls
    return ClassMapping(name, tuple(groups), flat)


_NEGATIVE = ["disgust", "fear", "anger", "sad"]

#: CAS(ME)^3 Part A raw emotions (v2 labels), in the order of the 7-class setting.
CASME3_EMOTIONS = ("anger", "disgust", "fear", "happy", "sad", "surprise", "others")
CASME3_7 = make_mapping("casme3-7", {e: [e] for e in CASME3_EMOTIONS})
CASME3_4 = make_mapping("casme3-4", {"negative": _NEGATIVE, "positive": ["happy"], "surprise": ["surprise"],
                                     "others": ["others"]})
CASME3_3 = make_mapping("casme3-3", {"negative": _NEGATIVE, "positive": ["happy"], "surprise": ["surprise"]})


def casme3_mapping(num_classes: int) -> ClassMapping:
    """The CAS(ME)^3 class setting with 3 (neg/pos/sur), 4 (+others) or 7 (raw emotions) classes.

    Raises:
        ConfigError: for any other number.
    """
    mappings = {3: CASME3_3, 4: CASME3_4, 7: CASME3_7}
    if num_classes not in mappings:
        raise ConfigError(f"CAS(ME)^3 has 3-, 4- and 7-class settings, not {num_classes}.")
    return mappings[num_classes]
