"""``model/deft-llm``: three swappable experts → projectors → placeholders in an LLM prompt.

Hybrid discriminative-generative objective (weights in ``loss_weights``): LM cross-entropy on the
(C, E, R) answer tokens, emotion cross-entropy from a head on the LLM's hidden state at the last
prompt position, AU BCE on the motion expert, and a decorrelation term between the experts' pooled
projected features. Evaluation scores two readings: the head's emotion (``pred``, the reported
one) and the emotion parsed from the generated answer (``pred_generated``); the ``deft-llm``
metric (:mod:`zoo_deft_llm.metrics`) reports UF1/UAR of both.

Prediction (``zoo.predict``): :meth:`DeftLLM.processor` turns a clip (a folder of frames, or onset
and apex frames) into views with the settings of this config (crop, flow, landmarks, input size);
:meth:`DeftLLM.predict_step` answers with the head's emotion and the generated (C, E, R) text;
:meth:`DeftLLM.render` draws the face regions, the flow field and the description side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import zoo
from zoo.sdk import OptionalPart, PartRef, build_part, config_class
from zoo_deft_llm import metrics
from zoo_deft_llm.facs import DEFAULT_AUS
from zoo_deft_llm.llm import LLMSpec, LLMWrapper
from zoo_deft_llm.unimer.templates import TEMPLATES, parse_answer

CASME2_CLASSES = ["happiness", "surprise", "disgust", "repression", "others"]
metrics.register()


class ExpertSlots(zoo.ComponentConfig):
    """The three expert slots; each names a registered expert or is ``None`` (switched off)."""

    structure: OptionalPart = PartRef(name="expert/structure")
    texture: OptionalPart = PartRef(name="expert/dynamic-texture")
    motion: OptionalPart = PartRef(name="expert/motion-semantics")


class LossWeights(zoo.ComponentConfig):
    """Weights of the hybrid objective's four terms (0 switches a term off)."""

    lm: float = Field(1.0, ge=0, description="LM cross-entropy on the (C, E, R) answer tokens")
    emotion: float = Field(1.0, ge=0, description="emotion cross-entropy of the classification head")
    au: float = Field(0.5, ge=0, description="AU BCE of the motion-semantics expert")
    decorrelation: float = Field(0.1, ge=0, description="decorrelation of the experts' pooled features")


class DeftLLMConfig(zoo.ComponentConfig):
    """DEFT-LLM: experts, LLM, label space, objective, and the processor's settings.

    ``crop_size``, ``flow_method`` and ``landmarks`` say how a clip's two frames are aligned and
    how their flow is computed (as the Uni-MER builder did for training); ``image_size`` is the
    experts' input size; ``instruction`` is the prompt used at prediction.
    """

    experts: ExpertSlots = ExpertSlots()
    llm: LLMSpec = LLMSpec()
    classes: list[str] = Field(default_factory=lambda: list(CASME2_CLASSES), description="emotion classes, in label order")
    au_codes: list[int] = Field(default_factory=lambda: list(DEFAULT_AUS), description="AUs the motion expert predicts")
    loss_weights: LossWeights = LossWeights()
    image_size: int = Field(64, ge=8, description="the experts' input size (pixels)")
    crop_size: int = Field(128, ge=32, description="aligned face crop the flow is computed on (pixels)")
    flow_method: str = Field("tvl1", description="optical flow: tvl1, tvl1-full, dis, farneback")
    landmarks: Literal["none", "dlib", "auto"] = "none"  # face alignment + regions: "none" (Haar, fixed boxes) | "dlib" (68 landmarks) | "auto"
    instruction: str = Field(TEMPLATES["cer"][0], description="the prompt's instruction at prediction")
    score_generation: bool = Field(True, description="generate and score the (C, E, R) text at evaluation")


def decorrelation_loss(pooled: list[torch.Tensor]) -> torch.Tensor:
    """Mean squared cross-correlation between every pair of experts' pooled features ``[B, D]``.

    Each feature is standardised over the batch, so the term is 0 for uncorrelated experts and
    ``1/D`` for identical ones with independent dimensions; it needs a batch of at least 2 (0 otherwise).
    """
    if len(pooled) < 2 or pooled[0].shape[0] < 2:
        return pooled[0].new_zeros(()) if pooled else torch.zeros(())
    standardised = [(p - p.mean(0)) / (p.std(0, unbiased=False) + 1e-5) for p in pooled]
    batch, terms = pooled[0].shape[0], []
    for i in range(len(standardised)):
        for j in range(i + 1, len(standardised)):
            correlation = standardised[i].T @ standardised[j] / batch
            terms.append(correlation.pow(2).mean())
    return torch.stack(terms).mean()


class DeftLLM(zoo.Model):
    """DEFT-LLM micro-expression recognition (see ``docs/methods/deft-llm.md``)."""

    Config = DeftLLMConfig
    metric = metrics.NAME
    task: ClassVar[str] = "micro-expression-recognition"

    def __init__(self, config: DeftLLMConfig | None = None) -> None:
        super().__init__(config)
        self.llm = LLMWrapper(self.config.llm)
        hidden = self.llm.hidden_size
        self.experts = nn.ModuleDict()
        self.projectors = nn.ModuleDict()
        for slot in ("structure", "texture", "motion"):
            expert = self._build_expert(slot)
            if expert is None:
                continue
            self.experts[slot] = expert
            self.projectors[slot] = nn.Sequential(nn.Linear(expert.out_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.emotion_head = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, len(self.config.classes)))

    @property
    def metric_options(self) -> dict[str, Any]:
        """The metric's accumulator needs the number of classes (absent classes are detected)."""
        return {"num_classes": len(self.config.classes)}

    def _build_expert(self, slot: str) -> nn.Module | None:
        ref = getattr(self.config.experts, slot)
        if ref is None:
            return None
        # An expert that predicts AUs (the motion expert, or a third party's) gets the model's AU list.
        fields = config_class(ref.name, kind="expert").model_fields
        required = {"num_aus": len(self.config.au_codes)} if "num_aus" in fields else {}
        return build_part(ref, **required)

    def tokens_per_expert(self) -> dict[str, int]:
        """How many placeholder tokens each present expert fills (its ``tokens`` attribute)."""
        return {slot: int(expert.tokens) for slot, expert in self.experts.items()}

    def encode(self, views: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Expert tokens projected into the LLM's embedding space, and the raw tokens."""
        raw = {slot: expert(views) for slot, expert in self.experts.items()}
        return {slot: self.projectors[slot](tokens) for slot, tokens in raw.items()}, raw

    def _batch_ids(self, instructions: list[str], answers: list[str] | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[int]]:
        counts = self.tokens_per_expert()
        prompts = [self.llm.prompt_ids(text, counts) for text in instructions]
        answer_ids = [self.llm.answer_ids(a) for a in answers] if answers is not None else [[] for _ in prompts]
        sequences = [p + a for p, a in zip(prompts, answer_ids)]
        length = max(map(len, sequences))
        pad = self.llm.tokenizer.pad_token_id
        ids = torch.full((len(sequences), length), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        labels = torch.full_like(ids, -100)
        prompt_end = []
        for row, (prompt, answer) in enumerate(zip(prompts, answer_ids)):
            start = length - len(prompt) - len(answer)  # left padding: everything ends at the right edge
            ids[row, start:] = torch.tensor(prompt + answer)
            mask[row, start:] = 1
            labels[row, start + len(prompt):] = torch.tensor(answer, dtype=torch.long)
            prompt_end.append(start + len(prompt) - 1)
        return ids, mask, labels, prompt_end

    def _instructions(self, batch: dict[str, Any]) -> list[str]:
        return list(batch.get("instruction") or [self.config.instruction] * batch["onset"].shape[0])

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The weighted loss terms and their sum (``loss``)."""
        projected, raw = self.encode(batch)
        ids, mask, labels, prompt_end = self._batch_ids(self._instructions(batch), list(batch["answer"]))
        device = batch["onset"].device
        output = self.llm(self.llm.embed(ids.to(device), projected), mask.to(device))
        logits = output.logits[:, :-1]
        lm = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1).to(device), ignore_index=-100)
        hidden = output.hidden_states[-1][torch.arange(len(prompt_end)), torch.tensor(prompt_end)]
        emotion = F.cross_entropy(self.emotion_head(hidden).float(), batch["label"].to(device))
        weights = self.config.loss_weights
        terms = {"lm": weights.lm * lm, "emotion": weights.emotion * emotion}
        motion = self.experts["motion"] if "motion" in self.experts else None
        au_logits = motion.au_logits(raw["motion"]) if motion is not None and hasattr(motion, "au_logits") else None
        if au_logits is not None and "aus" in batch:
            terms["au"] = weights.au * F.binary_cross_entropy_with_logits(au_logits.float(), batch["aus"].to(device).float())
        if len(projected) >= 2:
            pooled = [tokens.mean(1).float() for tokens in projected.values()]
            terms["decorrelation"] = weights.decorrelation * decorrelation_loss(pooled)
        terms["loss"] = torch.stack(list(terms.values())).sum()
        return terms

    @torch.no_grad()
    def infer(self, batch: dict[str, Any], generate: bool = True) -> dict[str, Any]:
        """Head probabilities ``[B, classes]`` and, with ``generate``, the generated (C, E, R) answers."""
        projected, _ = self.encode(batch)
        ids, mask, _, _ = self._batch_ids(self._instructions(batch), None)
        device = batch["onset"].device
        embeddings = self.llm.embed(ids.to(device), projected)
        output = self.llm(embeddings, mask.to(device))
        hidden = output.hidden_states[-1][:, -1]
        result: dict[str, Any] = {"probs": self.emotion_head(hidden).float().softmax(-1)}
        if generate:
            result["answers"] = self.llm.generate(embeddings, mask.to(device))
        return result

    def generated_labels(self, answers: list[str]) -> torch.Tensor:
        """Class indices parsed from generated answers; ``-1`` where no known emotion was named."""
        index = {name: i for i, name in enumerate(self.config.classes)}
        return torch.tensor([index.get(parse_answer(text).emotion, -1) for text in answers], dtype=torch.long)

    def evaluation_step(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Both readings: ``pred`` (head) and ``pred_generated`` (parsed answer, with the ``answers``), and ``target``."""
        was_training = self.training
        self.eval()
        result = self.infer(batch, generate=self.config.score_generation)
        self.train(was_training)
        out = {"pred": result["probs"].argmax(-1).cpu(), "target": batch["label"].cpu()}
        if "answers" in result:
            out["pred_generated"] = self.generated_labels(result["answers"])
            out["answers"] = result["answers"]
        return out

    def processor(self) -> Any:
        """The clip processor with this config's settings (see :mod:`zoo_deft_llm.processor`)."""
        from zoo_deft_llm.processor import ClipProcessor

        return ClipProcessor.from_config(self.config)

    def predict_step(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """One batched pass (head + generation): per clip the emotion, its probabilities and the (C, E, R) text."""
        from zoo_deft_llm.predict import outputs_of

        return outputs_of(self, batch, self.infer(batch, generate=True))

    def render(self, item: Any, outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
        """The picture: face regions on the onset, the flow field on the apex, the generated description."""
        from zoo_deft_llm.predict import draw_prediction

        return [draw_prediction(item, outputs, Path(out_dir) / f"{stem}.png", self.config.classes)]

    def example_inputs(self) -> tuple[Any, ...]:
        size = self.config.image_size
        generator = torch.Generator().manual_seed(0)
        onset = torch.rand(2, 3, size, size, generator=generator)
        return ({"onset": onset, "apex": onset.clone(), "flow": torch.zeros(2, 2, size, size),
                 "label": torch.tensor([0, 1]), "aus": torch.zeros(2, len(self.config.au_codes)),
                 "answer": ["Caption: none. Emotion: happiness. Reasoning: none."] * 2},)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        """Emotion logits from the classification head (no generation)."""
        projected, _ = self.encode(batch)
        ids, mask, _, _ = self._batch_ids(self._instructions(batch), None)
        output = self.llm(self.llm.embed(ids.to(batch["onset"].device), projected), mask.to(batch["onset"].device))
        return self.emotion_head(output.hidden_states[-1][:, -1])
