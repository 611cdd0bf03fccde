"""The methods of the comparison, as PyCIL defines them, on the cross-modal protocol.

Every method trains the same trainable parts on a frozen pre-trained backbone (the adapter and a
classifier, on image embeddings) and classifies the adapted *point* embeddings of the test clouds:

- ``cmip-cil``: cosine classifier, CE + prototype regularisation, exemplar replay; after each
  task the new classes' rows become their prototypes (mean adapted image embedding) and, with
  ``recompute_old_prototypes``, the old classes' rows the mean of their exemplars (the release).
- ``finetune``: the same parts, CE only, no replay, no prototypes (a lower bound).
- ``simplecil`` (the release's ``simplecil.py``): CE training in the first task only, then every
  class's row is its prototype; no replay.
- ``icarl`` (PyCIL ``icarl.py``): linear classifier, CE + knowledge distillation (T = 2) from the
  previous task's adapter and classifier, replay; classification by the nearest mean of exemplars.
- ``wa`` (PyCIL ``wa.py``): linear classifier, (1−λ)·CE + λ·KD with λ = old/all classes, replay,
  and weight aligning of the new rows to the old rows' mean norm after each task.
- ``podnet`` (PyCIL ``podnet.py``): local-similarity classifier (10 proxies per class, old proxies
  frozen), PyCIL's NCA loss, POD-flat on the adapted embedding and POD-spatial on the adapter's
  hidden layer (the only trainable feature map here; the frozen backbone's maps never change),
  both scaled by sqrt(all/new classes), then class-balanced fine-tuning on the exemplars
  (half the epochs at 1/20 of the learning rate: PyCIL's 20 epochs at 0.005 after 40 at 0.1).

``icarl``, ``wa`` and ``podnet`` train at ``baseline_lr`` (PyCIL's 0.1, which the release keeps):
their linear/LSC classifiers learn far slower than a σ-scaled cosine classifier at 0.01.

With ``defects.double_softmax`` every method's loss sees softmax outputs, as in the release.
"""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo.sdk import ConfigError
from zoo_cmip_cil.model import classification_loss

if TYPE_CHECKING:  # the protocol module imports this one; these names are only annotations here
    from zoo_cmip_cil.incremental import IncrementalConfig, RunState

#: Every method the runner knows, CMIP-CIL first; the others are the baselines.
METHODS: tuple[str, ...] = ("cmip-cil", "finetune", "simplecil", "icarl", "wa", "podnet")
#: Baselines that replay exemplars (they need ``exemplars_per_class >= 1``).
REPLAYING: tuple[str, ...] = ("icarl", "wa", "podnet")

#: PyCIL's knowledge-distillation temperature (icarl.py, wa.py) and PODNet's settings (podnet.py).
KD_T = 2.0
POD_PROXIES, POD_LAMBDA_FLAT, POD_LAMBDA_SPATIAL = 10, 1.0, 5.0


def device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


class _Learner(nn.Module):
    """What the engine trains in one task: the adapter and a classifier (the backbone stays outside).

    The model is kept unregistered, so checkpoints hold only the trainable parts; ``train()``
    still reaches it (its BatchNorm moves only with the BN defect on).
    """

    def __init__(self, model: Any, head: nn.Module, loss: Callable[[dict[str, Any]], dict[str, torch.Tensor]]) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)
        self.adapter = model.adapter
        self.head = head
        self._loss = loss

    def train(self, mode: bool = True) -> "_Learner":
        super().train(mode)
        self._model.train(mode)
        return self

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        return self._loss(batch)


def train_learner(learner: _Learner, items: Any, cfg: IncrementalConfig, seed: int, epochs: int | None = None,
                  lr: float | None = None) -> Any:
    """Train ``learner`` on ``items`` with the engine (SGD, momentum 0.9); returns its Trainer."""
    from zoo.sdk import TrainConfig, Trainer

    with tempfile.TemporaryDirectory() as out_dir:
        config = TrainConfig(epochs=epochs or cfg.epochs, batch_size=cfg.batch_size, lr=lr or cfg.lr, optimizer="sgd",
                             momentum=0.9, weight_decay=cfg.weight_decay, scheduler=cfg.scheduler, seed=seed,
                             out_dir=out_dir, progress=False, num_workers=0, keep_checkpoints=1)
        trainer = Trainer(learner, config, train_data=items)
        learner._model.to(trainer.context.device)
        trainer.fit()
    return trainer


def _kd(logits: torch.Tensor, old_logits: torch.Tensor) -> torch.Tensor:
    """PyCIL's ``_KD_loss``: −Σ softmax(old/T) · log_softmax(new/T), averaged over the batch."""
    return -(old_logits.div(KD_T).softmax(1) * logits.div(KD_T).log_softmax(1)).sum() / len(logits)


class Strategy:
    """CMIP-CIL itself; the baselines below change what is trained, how, and how points are classified."""

    name = "cmip-cil"
    uses_memory = True

    def __init__(self, model: Any, cfg: IncrementalConfig, seed: int) -> None:
        self.model, self.cfg, self.seed = model, cfg, seed

    def adapt(self, embedding: torch.Tensor) -> torch.Tensor:
        return self.model.adapt(embedding)

    def start_task(self, task: int, rows: list[int]) -> None:
        self.model.classifier.add_classes(len(rows))

    def train_task(self, task: int, items: Any) -> Any:
        return train_learner(_Learner(self.model, self.model.classifier, self.model.training_step), items, self.cfg, self.seed)

    def end_task(self, task: int, rows: list[int], new: torch.Tensor, state: RunState) -> None:
        self.model.replace_prototypes(rows, state.image[new], state.y_train[new])
        if self.cfg.recompute_old_prototypes and state.memory and task > 0:
            old = torch.tensor([i for i in state.memory if state.y_train[i] < rows[0]], dtype=torch.long)
            self.model.replace_prototypes(sorted(set(state.y_train[old].tolist())), state.image[old], state.y_train[old])

    @torch.no_grad()
    def predict(self, test_embedding: torch.Tensor) -> torch.Tensor:
        model = self.model.eval()
        return model.classifier(model.adapt(test_embedding.to(device_of(model)))).argmax(-1).cpu()


class Finetune(Strategy):
    name, uses_memory = "finetune", False

    def __init__(self, model: Any, cfg: IncrementalConfig, seed: int) -> None:
        super().__init__(model, cfg, seed)
        model.config.proto_reg_weight = 0.0

    def end_task(self, task: int, rows: list[int], new: torch.Tensor, state: RunState) -> None:
        return None


class SimpleCIL(Finetune):
    name = "simplecil"

    def train_task(self, task: int, items: Any) -> Any:
        return super().train_task(task, items) if task == 0 else None

    def end_task(self, task: int, rows: list[int], new: torch.Tensor, state: RunState) -> None:
        self.model.replace_prototypes(rows, state.image[new], state.y_train[new])


class LinearHead(nn.Module):
    """PyCIL's ``SimpleLinear`` that grows by rows (old rows kept)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(0, dim))
        self.bias = nn.Parameter(torch.empty(0))

    def add_classes(self, count: int) -> None:
        new = torch.empty(count, self.weight.shape[1], device=self.weight.device)
        nn.init.kaiming_uniform_(new, nonlinearity="linear")
        self.weight = nn.Parameter(torch.cat([self.weight.data, new]))
        self.bias = nn.Parameter(torch.cat([self.bias.data, torch.zeros(count, device=self.bias.device)]))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.weight, self.bias)


class ICaRL(Strategy):
    """CE + KD with replay; nearest mean of exemplars on the adapted point embeddings."""

    name = "icarl"

    def __init__(self, model: Any, cfg: IncrementalConfig, seed: int) -> None:
        super().__init__(model, cfg, seed)
        model.classifier.requires_grad_(False)  # the cosine classifier is CMIP-CIL's, unused here
        self.head: nn.Module = self.new_head()
        self.old: tuple[Any, nn.Module] | None = None
        self.known = 0
        self.means: torch.Tensor | None = None

    def new_head(self) -> nn.Module:
        return LinearHead(self.model.config.embed_dim)

    def start_task(self, task: int, rows: list[int]) -> None:
        if task > 0:
            self.old = tuple(copy.deepcopy(m).requires_grad_(False).eval() if m is not None else None
                             for m in (self.model.adapter, self.head))
        self.known = rows[0]
        self.head.add_classes(len(rows))

    def logits(self, embedding: torch.Tensor) -> torch.Tensor:
        return self.head(self.model.adapt(embedding))

    def old_logits(self, embedding: torch.Tensor) -> torch.Tensor:
        adapter, head = self.old
        with torch.no_grad():
            return head(embedding if adapter is None else adapter(embedding))

    def loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        embedding = self.model.image_embedding(batch)
        logits = self.logits(embedding)
        labels = torch.as_tensor(batch["label"], device=logits.device)
        losses = {"ce": classification_loss(logits, labels, self.model.config.defects.double_softmax)}
        if self.old is not None:
            shown = logits.softmax(-1) if self.model.config.defects.double_softmax else logits
            losses["kd"] = _kd(shown[:, : self.known], self.old_logits(embedding))
        return losses

    def train_task(self, task: int, items: Any) -> Any:
        return train_learner(_Learner(self.model, self.head, self.loss), items, self.cfg, self.seed,
                             lr=self.cfg.baseline_lr)

    @torch.no_grad()
    def end_task(self, task: int, rows: list[int], new: torch.Tensor, state: RunState) -> None:
        memory = torch.tensor(state.memory, dtype=torch.long)
        adapted = F.normalize(self.adapt(state.image[memory].to(device_of(self.model))).cpu(), dim=-1)
        labels = state.y_train[memory]
        self.means = F.normalize(torch.stack([adapted[labels == r].mean(0) for r in range(rows[-1] + 1)]), dim=-1)

    @torch.no_grad()
    def predict(self, test_embedding: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        queries = F.normalize(self.adapt(test_embedding.to(device_of(self.model))).cpu(), dim=-1)
        return torch.cdist(queries, self.means).argmin(-1)


class WA(ICaRL):
    """(1−λ)·CE + λ·KD, replay, weight aligning; the linear classifier decides."""

    name = "wa"

    def loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        losses = super().loss(batch)
        if "kd" not in losses:
            return losses
        share = self.known / self.head.weight.shape[0]  # PyCIL: known / total classes
        return {"ce": (1 - share) * losses["ce"], "kd": share * losses["kd"]}

    @torch.no_grad()
    def end_task(self, task: int, rows: list[int], new: torch.Tensor, state: RunState) -> None:
        if task > 0:  # new rows scaled to the old rows' mean norm (PyCIL's weight_align)
            norms = self.head.weight.norm(dim=1)
            self.head.weight[rows] *= norms[: rows[0]].mean() / norms[rows].mean()

    @torch.no_grad()
    def predict(self, test_embedding: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        return self.logits(test_embedding.to(device_of(self.model))).argmax(-1).cpu()


class LSCHead(nn.Module):
    """PODNet's local-similarity classifier: K cosine proxies per class, merged by a softmax over
    their similarities, times a learned σ (init 1); proxies of earlier tasks are frozen."""

    def __init__(self, dim: int, proxies: int = POD_PROXIES) -> None:
        super().__init__()
        self.proxies = proxies
        self.register_buffer("old", torch.empty(0, dim))
        self.new = nn.Parameter(torch.empty(0, dim))
        self.sigma = nn.Parameter(torch.tensor(1.0))

    def add_classes(self, count: int) -> None:
        self.old = torch.cat([self.old, self.new.data])
        new = torch.empty(count * self.proxies, self.old.shape[1], device=self.old.device)
        bound = 1.0 / math.sqrt(new.shape[1])
        self.new = nn.Parameter(new.uniform_(-bound, bound))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        weight = F.normalize(torch.cat([self.old, self.new]), dim=-1)
        cos = (F.normalize(features, dim=-1) @ weight.t()).view(len(features), -1, self.proxies)
        return self.sigma * (cos.softmax(-1) * cos).sum(-1)


def nca(logits: torch.Tensor, labels: torch.Tensor, margin: float = 0.6) -> torch.Tensor:
    """PyCIL's ``nca`` (podnet.py) as written: the margin is subtracted from every class (so it
    cancels), the positive is excluded from the denominator by zeroing its shifted logit."""
    rows = torch.arange(len(logits), device=logits.device)
    shifted = logits - margin
    shifted = shifted - shifted.max(1, keepdim=True).values
    positive = shifted[rows, labels]
    others = shifted.clone()
    others[rows, labels] = 0.0
    return -(positive - others.exp().sum(-1).log()).mean()


def pod_spatial(new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """POD-spatial of PyCIL on a ``[B, C]`` activation (a 1x1 map): squared, pooled, L2-normalised, distance."""
    a, b = F.normalize(torch.cat([new**2, new**2], 1), dim=1), F.normalize(torch.cat([old**2, old**2], 1), dim=1)
    return (a - b).norm(dim=-1).mean()


class PODNet(ICaRL):
    """LSC + NCA with POD-flat and POD-spatial distillation, then class-balanced fine-tuning."""

    name = "podnet"

    def new_head(self) -> nn.Module:
        return LSCHead(self.model.config.embed_dim)

    def _parts(self, adapter: Any, embedding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if adapter is None:
            return embedding, embedding
        hidden = adapter.hidden(embedding)
        return hidden, adapter.up(hidden)

    def loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        embedding = self.model.image_embedding(batch)
        hidden, features = self._parts(self.model.adapter, embedding)
        logits = self.head(features)
        labels = torch.as_tensor(batch["label"], device=logits.device)
        shown = logits.softmax(-1) if self.model.config.defects.double_softmax else logits
        losses = {"lsc": nca(shown, labels)}
        if self.old is not None:
            factor = math.sqrt(self.total / (self.total - self.known))
            with torch.no_grad():
                old_hidden, old_features = self._parts(self.old[0], embedding)
            ones = torch.ones(len(features), device=features.device)
            losses["flat"] = factor * POD_LAMBDA_FLAT * F.cosine_embedding_loss(features, old_features, ones)
            losses["spatial"] = factor * POD_LAMBDA_SPATIAL * pod_spatial(hidden, old_hidden)
        return losses

    def start_task(self, task: int, rows: list[int]) -> None:
        super().start_task(task, rows)
        self.total = rows[-1] + 1

    def end_task(self, task: int, rows: list[int], new: torch.Tensor, state: RunState) -> None:
        if task > 0 and state.memory:  # class-balanced fine-tuning on the exemplars of every class
            balanced = state.items(torch.tensor(state.memory, dtype=torch.long))
            train_learner(_Learner(self.model, self.head, self.loss), balanced, self.cfg, self.seed,
                          epochs=max(1, self.cfg.epochs // 2), lr=self.cfg.baseline_lr / 20)

    @torch.no_grad()
    def predict(self, test_embedding: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        return self.logits(test_embedding.to(device_of(self.model))).argmax(-1).cpu()


_STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (Strategy, Finetune, SimpleCIL, ICaRL, WA, PODNet)}
assert tuple(_STRATEGIES) == METHODS


def make_strategy(method: str, model: Any, cfg: IncrementalConfig, seed: int) -> Strategy:
    """The strategy object of ``method`` on ``model`` (a frozen copy the strategy may change).

    Raises:
        ConfigError: for an unknown method, or a replaying baseline with ``exemplars_per_class=0``.
    """
    if method not in _STRATEGIES:
        raise ConfigError(f"Unknown incremental method {method!r}; choose from {', '.join(METHODS)}.")
    if method in REPLAYING and cfg.exemplars_per_class == 0:
        raise ConfigError(f"{method} replays exemplars: it needs exemplars_per_class >= 1 (got 0, exemplar-free).")
    return _STRATEGIES[method](model, cfg, seed)
