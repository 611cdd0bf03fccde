"""DEFT-LLM's loader (``dataset/unimer``) and CLI verbs against bad input: typed errors, one report, inputs untouched.

A Uni-MER file is validated when the dataset is built: a line that is not a JSON record, a record
without the fields an item needs, an emotion the class setting does not know, a frame missing on
disk, no conversation of the template are skipped and reported in ONE ``DataWarning``;
``strict=True`` raises ``InputError`` at the first; a file left with nothing raises. The verbs
``zoo deft-llm make-synth|train-synth``, ``zoo unimer build`` and ``zoo predict`` on DEFT-LLM
give a one-line ``error:`` (exit 1; usage errors exit 2), no traceback, and write nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("zoo_deft_llm")

import zoo  # noqa: E402
from zoo.sdk import DataWarning, InputError  # noqa: E402
from zoo.testing import run_cli  # noqa: E402


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    from zoo_deft_llm.synth import SynthOptions
    from zoo_deft_llm.synth_data import make_synthetic_set

    out = tmp_path_factory.mktemp("deft-robust") / "synth"
    make_synthetic_set(out, SynthOptions(subjects=2, clips_per_subject=2, seed=7, extra_fear_row=False))
    return out


@pytest.fixture
def damaged(synthetic: Path, tmp_path: Path) -> Path:
    """The synthetic folder with one bad record of each kind appended to its Uni-MER file."""
    root = tmp_path / "data"
    shutil.copytree(synthetic, root)
    good = [json.loads(line) for line in (root / "unimer.jsonl").read_text().splitlines()]
    bad = [
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({k: v for k, v in good[0].items() if k != "emotion"} | {"id": "no-emotion"}),
        json.dumps({**good[0], "id": "misspelt", "emotion": "hapiness"}),
        json.dumps({**good[0], "id": "no-frame", "apex_path": "raw/nowhere/img3.jpg"}),
        json.dumps({**good[0], "id": "no-cer", "conversations": [c for c in good[0]["conversations"] if c["template"] != "cer"]}),
    ]
    with (root / "unimer.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(bad) + "\n")
    return root


def test_bad_records_are_skipped_and_reported_once(damaged):
    before = _digest(damaged)
    with pytest.warns(DataWarning) as caught:
        data = zoo.build("dataset/unimer", root=str(damaged))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 6 record(s)" in message
    for text in ("2 x not a JSON record", "record without emotion", "emotion 'hapiness' is not a label of setting casme2-5",
                 "apex frame raw/nowhere/img3.jpg is missing", "no 'cer' conversation"):
        assert text in message, text
    assert len(data) == 4 and len(data.report) == 6
    assert _digest(damaged) == before


def test_strict_raises_at_the_first_bad_record_and_an_empty_file_says_why(damaged, tmp_path):
    with pytest.raises(InputError, match=r"line 5 \(.*\): not a JSON record. \(strict mode"):
        zoo.build("dataset/unimer", root=str(damaged), strict=True)
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text('{"id": "x"}\n')
    with pytest.raises(InputError, match=r"no usable items \(every record was skipped: 1 x record without subject"):
        zoo.build("dataset/unimer", path=str(only_bad))
    with pytest.raises(InputError, match="needs `path` .* or `root`"):
        zoo.build("dataset/unimer")


@pytest.mark.parametrize("args, code, message", [
    (["deft-llm", "make-synth", "{file}"], 1, "is an existing file, not a folder"),
    (["deft-llm", "make-synth", "{full}"], 1, "already exists and is not empty"),
    (["deft-llm", "make-synth", "{new}", "--subjects", "1"], 2, "Invalid value for '--subjects'"),
    (["deft-llm", "train-synth", "{new}", "--seeds", "a,b"], 1, "--seeds must be comma-separated integers"),
    (["deft-llm", "train-synth", "{file}"], 1, "is an existing file"),
    (["unimer", "build", "--dataset", "nope", "--root", "{full}", "--out", "{new}/u.jsonl"], 1, "Unknown dataset 'nope'"),
    (["unimer", "build", "--dataset", "samm", "--root", "{full}", "--out", "{new}/u.jsonl"], 1, "No SAMM_Micro_FACS_Codes"),
    (["predict", "deft-llm-synth", "{file}", "--out", "{new}"], 1, "a single image is not a clip"),
])
def test_cli_verbs_give_one_typed_line_and_write_nothing(tmp_path, synthetic, args, code, message):
    file, full, new = tmp_path / "a.jpg", tmp_path / "full", tmp_path / "new"
    shutil.copy(next((synthetic / "raw").rglob("*.jpg")), file)
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    before = _digest(tmp_path)
    result = run_cli([a.format(file=file, full=full, new=new) for a in args])
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output
    assert _digest(tmp_path) == before and not new.exists()
