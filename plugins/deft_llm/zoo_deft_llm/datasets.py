"""``dataset/unimer``: DEFT-LLM training/evaluation items from a Uni-MER JSONL file.

Each record names its frames, AUs, emotion, subject and instruction/answer pairs (written by
``zoo unimer build``). An item holds the model's views (aligned crops and flow, recomputed from the
frames with the record's crop size and flow method, cached in memory), the class index under the
chosen class setting, the labelled AUs as a multi-hot vector, and the (C, E, R) instruction/answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

import zoo
from zoo.errors import ConfigError, InputError
from zoo_deft_llm.facs import parse_aus
from zoo_deft_llm.model import DEFAULT_AUS


def class_setting(name: str):
    """The ``zoo_mer_data`` class mapping called ``name`` (e.g. ``casme2-5``, ``megc2019-3``).

    Raises:
        ConfigError: for an unknown setting.
    """
    from zoo_mer_data import casme2, classes, megc, samm, smic

    settings = {
        "casme2-5": casme2.CASME2_5, "samm-5": samm.SAMM_5, "megc2019-3": megc.MEGC_3, "smic-3": smic.SMIC_3,
        "casme3-3": classes.CASME3_3, "casme3-4": classes.CASME3_4, "casme3-7": classes.CASME3_7,
    }
    if name not in settings:
        raise ConfigError(f"Unknown class setting {name!r}; choose one of {', '.join(settings)}.")
    return settings[name]


class UniMERConfig(zoo.ComponentConfig):
    """Which Uni-MER file, class setting and subjects; the model's input size.

    ``path`` names the JSONL; ``root`` (what ``zoo train --data DIR`` sets) is a folder holding
    ``unimer.jsonl``, written there by ``zoo unimer build --out DIR/unimer.jsonl``.
    """

    path: str = ""
    root: str = ""
    setting: str = "casme2-5"
    image_size: int = 64
    au_codes: list[int] = DEFAULT_AUS
    template: str = "cer"
    subjects: list[str] | None = None
    exclude_subjects: list[str] = []


class UniMERDataset(zoo.Dataset):
    """DEFT-LLM items from a Uni-MER JSONL (see the module docstring)."""

    Config = UniMERConfig

    def __init__(self, config: UniMERConfig | None = None, records: list[dict] | None = None,
                 cache: dict[str, dict[str, torch.Tensor]] | None = None) -> None:
        super().__init__(config)
        self.mapping = class_setting(self.config.setting)
        all_records = records if records is not None else read_unimer(self.jsonl_path())
        self.records = [r for r in all_records if self._wanted(r)]
        if not self.records:
            raise InputError(f"No Uni-MER record of {self.config.path or 'the given records'} falls in setting "
                             f"{self.config.setting!r} and the selected subjects.")
        # Keyed by record id and shared with subsets, so LOSO folds compute each clip's flow once.
        self._cache: dict[str, dict[str, torch.Tensor]] = cache if cache is not None else {}

    def jsonl_path(self) -> str:
        """The Uni-MER file: ``path``, else ``root/unimer.jsonl``.

        Raises:
            InputError: if neither is set.
        """
        if self.config.path:
            return self.config.path
        if self.config.root:
            return str(Path(self.config.root) / "unimer.jsonl")
        raise InputError("dataset/unimer needs `path` (a Uni-MER JSONL) or `root` (a folder holding unimer.jsonl).")

    def _wanted(self, record: dict) -> bool:
        if self.mapping.index(record["emotion"]) is None:
            return False
        if self.config.subjects is not None and record["subject"] not in self.config.subjects:
            return False
        return record["subject"] not in self.config.exclude_subjects

    def subset(self, indices: list[int]) -> "UniMERDataset":
        """A dataset over some of these records, sharing this one's views cache."""
        return UniMERDataset(self.config, [self.records[i] for i in indices], cache=self._cache)

    @property
    def subjects(self) -> list[str]:
        return [r["subject"] for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def views(self, index: int) -> dict[str, torch.Tensor]:
        """The record's aligned crops and flow at the model's size (computed once, then cached)."""
        record = self.records[index]
        if record["id"] not in self._cache:
            from zoo_deft_llm.preprocess import prepare_clip, read_frame, to_views

            prepared = prepare_clip(read_frame(record["onset_path"]), read_frame(record["apex_path"]),
                                    record.get("crop_size", 128), record.get("flow_method", "tvl1"),
                                    landmarks=record.get("landmarks", "none"))
            self._cache[record["id"]] = to_views(prepared, self.config.image_size)
        return self._cache[record["id"]]

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        pair = next((c for c in record["conversations"] if c["template"] == self.config.template), None)
        if pair is None:
            raise InputError(f"Record {record['id']} has no {self.config.template!r} conversation; rebuild it with `zoo unimer build`.")
        aus = torch.zeros(len(self.config.au_codes))
        for label in parse_aus(record.get("aus_labelled")):
            if label.au in self.config.au_codes:
                aus[self.config.au_codes.index(label.au)] = 1.0
        return {**self.views(index), "label": self.mapping.index(record["emotion"]), "aus": aus,
                "instruction": pair["instruction"], "answer": pair["answer"], "subject": record["subject"]}

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        batch: dict[str, Any] = {key: torch.stack([item[key] for item in items]) for key in ("onset", "apex", "flow", "aus")}
        if any("regions" in item for item in items):  # landmark regions; a clip dlib missed keeps the fixed boxes
            from zoo_deft_llm.facs import load_table

            table = load_table()
            fixed = torch.tensor([table.regions[name] for name in table.region_list], dtype=torch.float32)
            batch["regions"] = torch.stack([item.get("regions", fixed) for item in items])
        batch["label"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        for key in ("instruction", "answer", "subject"):
            batch[key] = [item[key] for item in items]
        return batch


def read_unimer(path: str | Path) -> list[dict]:
    """All records of a Uni-MER JSONL file.

    Raises:
        InputError: if the file is missing or a line is not JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Uni-MER file {path} does not exist; write it with `zoo unimer build --dataset ... --out {path}`.")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number} is not a JSON line ({exc}).") from None
    return records
