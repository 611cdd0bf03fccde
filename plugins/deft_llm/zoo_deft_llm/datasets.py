"""``dataset/unimer``: DEFT-LLM training/evaluation items from a Uni-MER JSONL file.

Each record names its frames, AUs, emotion, dataset, subject and instruction/answer pairs (written
by ``zoo unimer build`` or ``zoo deft-llm make-synth``); frame paths may be relative to the JSONL's
folder, so a data folder can be moved. An item holds the model's views (aligned crops and flow,
recomputed from the frames with the record's crop size, flow method and landmarks setting, and
cached per process), the class index under the chosen class setting (``zoo_mer_data.classes``:
a cross-dataset setting such as ``megc2019-3`` maps each record by its dataset), the labelled AUs
as a multi-hot vector, and the (C, E, R) instruction/answer.

Records are validated when the dataset is built: a line that is not JSON, a record without the
fields an item needs, an emotion the setting does not know, frames missing on disk, no
conversation of the chosen template are skipped and reported in one ``DataWarning``
(``strict=True`` raises at the first); labels the setting leaves out on purpose (CASME II's fear
in the 5-class setting) are left out quietly. A dataset with no item left raises ``InputError``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import torch
from pydantic import Field

import zoo
import zoo.sdk as sdk
from zoo_deft_llm.facs import DEFAULT_AUS, parse_aus

#: The fields every record must have.
REQUIRED = ("id", "subject", "emotion", "onset_path", "apex_path", "conversations")


def class_setting(name: str) -> Any:
    """The ``zoo_mer_data`` class setting called ``name`` (``casme2-5``, ``megc2019-3``, ...).

    Raises:
        ConfigError: for an unknown setting.
    """
    from zoo_mer_data.classes import class_setting as lookup

    return lookup(name)


class UniMERConfig(zoo.ComponentConfig):
    """Which Uni-MER file, class setting and subjects; the model's input size.

    ``path`` names the JSONL; otherwise ``root`` (what ``zoo train --data DIR`` sets) is a folder
    holding ``file`` (default ``unimer.jsonl``), so a cross-dataset recipe reads two files of one
    data folder (``casme2.jsonl`` for training, ``samm.jsonl`` for testing).
    """

    path: str = Field("", description="the Uni-MER JSONL (default: root/file)")
    root: str = Field("", description="a folder holding `file`")
    file: str = Field("unimer.jsonl", description="the JSONL's name inside root")
    setting: str = Field("casme2-5", description="class setting of zoo_mer_data.classes")
    image_size: int = Field(64, ge=8, description="the experts' input size (pixels)")
    au_codes: list[int] = Field(default_factory=lambda: list(DEFAULT_AUS), description="AUs of the multi-hot target")
    template: str = Field("cer", description="the conversation the items train on (cer, describe, aus)")
    subjects: list[str] | None = Field(None, description="keep only these subjects (None: all)")
    exclude_subjects: list[str] = Field(default_factory=list, description="leave these subjects out")
    strict: bool = Field(False, description="raise at the first unusable record instead of skipping and reporting it")


class UniMERDataset(zoo.Dataset):
    """DEFT-LLM items from a Uni-MER JSONL (see the module docstring)."""

    Config = UniMERConfig

    def __init__(self, config: UniMERConfig | None = None) -> None:
        super().__init__(config)
        self.mapping = class_setting(self.config.setting)
        path = self.jsonl_path()
        self.report = sdk.SkippedRecords(source=f"dataset/unimer at {path}", strict=self.config.strict)
        self.records = [r for r in read_unimer(path, self.report) if self._usable(r, path.parent)]
        self.report.finish(kept=len(self.records))

    def jsonl_path(self) -> Path:
        """The Uni-MER file: ``path``, else ``root/file``.

        Raises:
            InputError: if neither is set, or the file does not exist.
        """
        if self.config.path:
            path = Path(self.config.path)
        elif self.config.root:
            path = Path(self.config.root) / self.config.file
        else:
            raise sdk.InputError("dataset/unimer needs `path` (a Uni-MER JSONL) or `root` (a folder holding "
                                 f"{self.config.file}).")
        if not path.is_file():
            raise sdk.InputError(f"Uni-MER file {path} does not exist; write it with `zoo unimer build --dataset ... "
                                 f"--out {path}` (or `zoo deft-llm make-synth` for the synthetic set).")
        return path

    def _usable(self, record: dict[str, Any], folder: Path) -> bool:
        """Validate a record (resolving its frame paths); report and drop it if it cannot be used."""
        name = str(record.get("id", "?"))
        missing = [key for key in REQUIRED if key not in record]
        if missing:
            self.report.skip(name, f"record without {', '.join(missing)}")
            return False
        subject, emotion, dataset = str(record["subject"]), record["emotion"], record.get("dataset")
        if self.config.subjects is not None and subject not in self.config.subjects:
            return False
        if subject in self.config.exclude_subjects:
            return False
        if not self.mapping.knows(emotion, dataset):
            self.report.skip(name, f"emotion {emotion!r} is not a label of setting {self.mapping.name} "
                                   f"(known: {', '.join(self.mapping.vocabulary(dataset))})")
            return False
        if self.mapping.index(emotion, dataset) is None:
            return False  # a label the setting leaves out on purpose
        for role in ("onset", "apex"):
            frame = folder / record[f"{role}_path"]  # an absolute path stays as it is
            if not frame.is_file():
                self.report.skip(name, f"{role} frame {record[f'{role}_path']} is missing")
                return False
            record[f"{role}_path"] = str(frame)
        if not any(c.get("template") == self.config.template for c in record["conversations"]):
            self.report.skip(name, f"no {self.config.template!r} conversation (rebuild it with `zoo unimer build`)")
            return False
        return True

    @property
    def subjects(self) -> list[str]:
        """The subject of each item (the engine's LOSO protocol reads it)."""
        return [str(r["subject"]) for r in self.records]

    def label(self, index: int) -> int:
        """The class index of item ``index`` under the setting."""
        record = self.records[index]
        return int(self.mapping.index(record["emotion"], record.get("dataset")))

    def __len__(self) -> int:
        return len(self.records)

    def views(self, index: int) -> dict[str, torch.Tensor]:
        """The record's aligned crops and flow at the model's size (computed once per process)."""
        record = self.records[index]
        return clip_views(record["onset_path"], record["apex_path"], int(record.get("crop_size", 128)),
                          record.get("flow_method", "tvl1"), record.get("landmarks", "none"), self.config.image_size,
                          _stamp(record["onset_path"]), _stamp(record["apex_path"]))

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        pair = next(c for c in record["conversations"] if c.get("template") == self.config.template)
        aus = torch.zeros(len(self.config.au_codes))
        for label in parse_aus(record.get("aus_labelled")):
            if label.au in self.config.au_codes:
                aus[self.config.au_codes.index(label.au)] = 1.0
        return {**self.views(index), "label": self.label(index), "aus": aus, "instruction": pair["instruction"],
                "answer": pair["answer"], "subject": str(record["subject"])}

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collate_views(items)
        batch["aus"] = torch.stack([item["aus"] for item in items])
        batch["label"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        for key in ("instruction", "answer", "subject"):
            batch[key] = [item[key] for item in items]
        return batch


def collate_views(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack ``onset``/``apex``/``flow``; per-clip landmark ``regions`` where any item has them (a clip
    without landmarks keeps the FACS table's fixed boxes)."""
    batch: dict[str, Any] = {key: torch.stack([item[key] for item in items]) for key in ("onset", "apex", "flow")}
    if any("regions" in item for item in items):
        from zoo_deft_llm.facs import load_table

        table = load_table()
        fixed = torch.tensor([table.regions[name] for name in table.region_list], dtype=torch.float32)
        batch["regions"] = torch.stack([item.get("regions", fixed) for item in items])
    return batch


def _stamp(path: str) -> tuple[int, int]:
    stat = Path(path).stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=4096)
def clip_views(onset: str, apex: str, crop_size: int, flow_method: str, landmarks: str, image_size: int,
               onset_stamp: tuple[int, int], apex_stamp: tuple[int, int]) -> dict[str, torch.Tensor]:
    """The views of one clip (cached: LOSO folds and ablation runs in one process compute each clip's
    flow once; the files' mtime and size are part of the key, so a rewritten frame is recomputed)."""
    from zoo_deft_llm.preprocess import prepare_clip, read_frame, to_views

    prepared = prepare_clip(read_frame(onset), read_frame(apex), crop_size, flow_method, landmarks=landmarks)
    return to_views(prepared, image_size)


def read_unimer(path: str | Path, report: Any = None) -> list[dict[str, Any]]:
    """The records of a Uni-MER JSONL file (a line that is not a JSON object is reported to ``report``).

    Raises:
        InputError: if the file is missing, or a line is not JSON and there is no report (or it is strict).
    """
    path = Path(path)
    if not path.is_file():
        raise sdk.InputError(f"Uni-MER file {path} does not exist; write it with `zoo unimer build --dataset ... --out {path}`.")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if report is None:
                raise sdk.InputError(f"{path}:{number} is not a JSON record ({exc}).") from None
            report.skip(f"line {number} ({str(exc)[:60]})", "not a JSON record")
            continue
        records.append(record)
    return records
