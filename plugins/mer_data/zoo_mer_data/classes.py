"""Emotion → class mappings ("class settings") of every MER dataset, in one place.

A setting names its classes, the raw labels each class takes, and the raw labels the dataset has
but the setting leaves out on purpose (CASME II's fear and sadness in the 5-class setting). A
label that is neither is *unknown* (a misspelling, another release's vocabulary): loaders report
it instead of silently dropping the clip (:meth:`ClassMapping.knows`).

Cross-dataset settings (the MEGC2019 composite's negative / positive / surprise) map each
dataset's own labels: ``index(emotion, dataset=...)`` uses that dataset's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from zoo.sdk import ConfigError


def normalise_emotion(text: object) -> str:
    """Labels are compared lower-case and stripped (CAS(ME)^3 has both ``others`` and ``Others``)."""
    return str(text or "").strip().lower()


@dataclass(frozen=True)
class ClassMapping:
    """Raw emotion labels grouped into ordered classes.

    Attributes:
        name: the setting's name (``casme2-5``).
        classes: the class names, in label-index order.
        groups: normalised raw label → class name.
        left_out: raw labels the datasets have that this setting leaves out (known, not classes).
        by_dataset: per-dataset mappings into the same classes (cross-dataset settings); a record
            of another dataset uses ``groups``.
    """

    name: str
    classes: tuple[str, ...]
    groups: Mapping[str, str] = field(default_factory=dict)
    left_out: frozenset[str] = frozenset()
    by_dataset: Mapping[str, ClassMapping] = field(default_factory=dict)

    def _table(self, dataset: str | None) -> ClassMapping:
        return self.by_dataset.get(dataset, self) if dataset is not None else self

    def index(self, emotion: object, dataset: str | None = None) -> int | None:
        """The class index of a raw emotion label, or ``None`` if the setting leaves it out (or does not know it)."""
        table = self._table(dataset)
        target = table.groups.get(normalise_emotion(emotion))
        return None if target is None else self.classes.index(target)

    def knows(self, emotion: object, dataset: str | None = None) -> bool:
        """True if the label is one of the setting's classes' labels or one it leaves out on purpose."""
        table = self._table(dataset)
        key = normalise_emotion(emotion)
        return key in table.groups or key in table.left_out

    def vocabulary(self, dataset: str | None = None) -> list[str]:
        """Every label the setting knows (for messages about an unknown one)."""
        table = self._table(dataset)
        return sorted({*table.groups, *table.left_out})

    def __len__(self) -> int:
        return len(self.classes)


def make_mapping(name: str, groups: Mapping[str, Sequence[str]], left_out: Iterable[str] = (),
                 by_dataset: Mapping[str, ClassMapping] | None = None) -> ClassMapping:
    """Build a mapping from ``{class: [raw labels...]}`` (class order = insertion order).

    Raises:
        ConfigError: if a raw label is assigned to two classes, is both a class label and left
            out, or a class has no label.
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
    omitted = frozenset(normalise_emotion(raw) for raw in left_out)
    both = sorted(omitted & set(flat))
    if both:
        raise ConfigError(f"Labels {both} of mapping {name!r} are both class labels and left out.")
    return ClassMapping(name, tuple(groups), flat, omitted, dict(by_dataset or {}))


#: CASME II (Yan et al. 2014): the 5-class setting leaves out the few fear and sadness clips.
CASME2_5 = make_mapping("casme2-5", {c: [c] for c in ("happiness", "surprise", "disgust", "repression", "others")},
                        left_out=["fear", "sadness"])
#: SAMM (Davison et al. 2018): the 5-class setting used beside CASME II's (anger, contempt, happiness,
#: surprise, other); disgust, fear and sadness are left out.
SAMM_5 = make_mapping("samm-5", {"anger": ["anger"], "contempt": ["contempt"], "happiness": ["happiness"],
                                 "surprise": ["surprise"], "other": ["other", "others"]},
                      left_out=["disgust", "fear", "sadness"])
#: SMIC-HS: the class is the folder name.
SMIC_CLASSES = ("negative", "positive", "surprise")
SMIC_3 = make_mapping("smic-3", {c: [c] for c in SMIC_CLASSES})

_NEGATIVE = ["disgust", "fear", "anger", "sad"]
#: CAS(ME)^3 Part A raw emotions (v2 labels), in the order of the 7-class setting.
CASME3_EMOTIONS = ("anger", "disgust", "fear", "happy", "sad", "surprise", "others")
CASME3_7 = make_mapping("casme3-7", {e: [e] for e in CASME3_EMOTIONS})
CASME3_4 = make_mapping("casme3-4", {"negative": _NEGATIVE, "positive": ["happy"], "surprise": ["surprise"],
                                     "others": ["others"]})
CASME3_3 = make_mapping("casme3-3", {"negative": _NEGATIVE, "positive": ["happy"], "surprise": ["surprise"]},
                        left_out=["others"])

MEGC_CLASSES = ("negative", "positive", "surprise")


def _megc_part(dataset: str, negative: list[str], positive: list[str], left_out: list[str]) -> ClassMapping:
    # The composite's own class names map to themselves, so records already mapped (read through
    # dataset/megc2019) and raw records of the same dataset (a CASME II Uni-MER file) both work.
    return make_mapping(f"megc2019-3/{dataset}", {"negative": ["negative", *negative], "positive": ["positive", *positive],
                                                  "surprise": ["surprise"]}, left_out=left_out)


#: MEGC2019 composite 3-class: negative = CASME II {disgust, repression} ∪ SAMM {anger, contempt,
#: disgust, fear, sadness} ∪ SMIC negative; positive = happiness / SMIC positive; surprise =
#: surprise; everything else is left out. CAS(ME)^3 is mapped like its own 3-class setting.
MEGC_3 = make_mapping("megc2019-3", {c: [c] for c in MEGC_CLASSES}, by_dataset={
    "casme2": _megc_part("casme2", ["disgust", "repression"], ["happiness"], ["others", "fear", "sadness"]),
    "samm": _megc_part("samm", ["anger", "contempt", "disgust", "fear", "sadness"], ["happiness"], ["other", "others"]),
    "smic": _megc_part("smic", [], [], []),
    "casme3": _megc_part("casme3", _NEGATIVE, ["happy"], ["others"]),
})

#: Every class setting by name (``dataset/unimer``'s ``setting``, the recipes).
SETTINGS: dict[str, ClassMapping] = {m.name: m for m in (CASME2_5, SAMM_5, SMIC_3, MEGC_3, CASME3_3, CASME3_4, CASME3_7)}


def class_setting(name: str) -> ClassMapping:
    """The class setting called ``name`` (``casme2-5``, ``samm-5``, ``smic-3``, ``megc2019-3``, ``casme3-3/4/7``).

    Raises:
        ConfigError: for an unknown name (the message lists the known ones).
    """
    if name not in SETTINGS:
        raise ConfigError(f"Unknown class setting {name!r}; choose one of {', '.join(SETTINGS)}.")
    return SETTINGS[name]


def casme3_mapping(num_classes: int) -> ClassMapping:
    """The CAS(ME)^3 class setting with 3 (neg/pos/sur), 4 (+others) or 7 (raw emotions) classes.

    Raises:
        ConfigError: for any other number.
    """
    mappings = {3: CASME3_3, 4: CASME3_4, 7: CASME3_7}
    if num_classes not in mappings:
        raise ConfigError(f"CAS(ME)^3 has 3-, 4- and 7-class settings, not {num_classes}.")
    return mappings[num_classes]
