"""Instruction templates and the fixed, parseable (C, E, R) answer layout.

The answer layout is ``Caption: … Emotion: <name>. Reasoning: …``; :func:`parse_answer` reads it
back, which is how the generated emotion is scored as the model's second reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Instruction phrasings per task. ``cer`` asks for the full (C, E, R) answer (what DEFT-LLM trains on);
#: ``describe`` and ``aus`` are the auxiliary instruction types Uni-MER also records.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "cer": (
        "Infer the emotion of this micro-expression and explain your reasoning from the facial motion.",
        "What emotion does this micro-expression show? Describe the motion, name the emotion, and reason.",
        "Analyse the facial motion between onset and apex, then give the emotion and why.",
    ),
    "describe": (
        "Describe the facial motion between the onset and apex frames.",
        "Which parts of the face move, and in which direction?",
    ),
    "aus": (
        "Which action units are active in this micro-expression?",
        "Name the facial action units that the motion confirms.",
    ),
}

#: Emotion → the AU prototype used to phrase the reasoning (facs.md, EMFACS-style).
PROTOTYPES: dict[str, str] = {
    "happiness": "raised cheeks and lip corners pulled up (AU6+AU12)",
    "happy": "raised cheeks and lip corners pulled up (AU6+AU12)",
    "positive": "raised cheeks and lip corners pulled up (AU6+AU12)",
    "surprise": "raised brows and a dropping jaw (AU1+AU2+AU26)",
    "disgust": "a wrinkled nose and raised upper lip (AU9+AU10)",
    "repression": "tightened or pressed lips and a raised chin holding back another expression (AU14/AU15/AU17/AU24)",
    "sadness": "raised inner brows with lowered lip corners (AU1+AU4+AU15)",
    "sad": "raised inner brows with lowered lip corners (AU1+AU4+AU15)",
    "fear": "raised and drawn-together brows with stretched lips (AU1+AU2+AU4+AU20)",
    "anger": "lowered brows and tightened lids and lips (AU4+AU7+AU23)",
    "contempt": "a one-sided lip corner pull and dimpler (R12+R14)",
    "negative": "lowered brows, a wrinkled nose or depressed lip corners (AU4/AU9/AU15)",
    "others": "motion that matches no basic-emotion prototype",
    "other": "motion that matches no basic-emotion prototype",
}

_ANSWER = re.compile(
    r"Caption:\s*(?P<caption>.*?)\s*Emotion:\s*(?P<emotion>[A-Za-z-]+)\.?\s*(?:Reasoning:\s*(?P<reasoning>.*))?$",
    re.DOTALL,
)


@dataclass(frozen=True)
class CERAnswer:
    """A parsed (C, E, R) answer; ``emotion`` is lower-case, ``""`` if the text had none."""

    caption: str
    emotion: str
    reasoning: str


def format_answer(caption: str, emotion: str, reasoning: str) -> str:
    """Write the (C, E, R) layout that :func:`parse_answer` reads back."""
    return f"Caption: {caption} Emotion: {emotion}. Reasoning: {reasoning}"


def parse_answer(text: str) -> CERAnswer:
    """Parse generated text in the (C, E, R) layout; a malformed text gives empty fields, not an error.

    A generation that does not follow the layout is a wrong prediction to score, not a crash.
    """
    match = _ANSWER.search(text.strip())
    if not match:
        return CERAnswer(caption=text.strip(), emotion="", reasoning="")
    return CERAnswer(
        caption=match["caption"].strip(),
        emotion=match["emotion"].strip().lower(),
        reasoning=(match["reasoning"] or "").strip(),
    )


def reasoning_for(emotion: str, confirmed: list[str]) -> str:
    """The R part: from the confirmed motion to the emotion, through its AU prototype."""
    prototype = PROTOTYPES.get(emotion, "the observed motion")
    if confirmed:
        return f"The confirmed motion ({', '.join(confirmed)}) matches {prototype}, typical of {emotion}."
    return f"Only weak motion is visible; the pattern is closest to {prototype}, typical of {emotion}."
