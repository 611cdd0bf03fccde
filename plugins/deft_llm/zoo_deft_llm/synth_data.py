"""``zoo deft-llm make-synth OUT``: the synthetic set and its Uni-MER records, ready for ``zoo train --data OUT``.

``OUT/raw/`` is the seeded synthetic set in the CASME II layout (:mod:`zoo_deft_llm.synth`: real
face photographs animated by AU warps, the planted motion written beside them) and
``OUT/unimer.jsonl`` its Uni-MER records (Haar + fixed boxes, TV-L1 flow on 128² crops: the
builder's defaults), with frame paths relative to ``OUT`` so the folder can be moved. ``OUT`` is
marked synthetic (``SYNTHETIC.json``) and written atomically: a failed run leaves nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import zoo.sdk as sdk
from zoo_deft_llm.synth import SynthOptions

GENERATOR = "zoo deft-llm make-synth"
RAW = "raw"
UNIMER = "unimer.jsonl"


def make_synthetic_set(out: str | Path, options: SynthOptions = SynthOptions(), overwrite: bool = False) -> dict[str, int]:
    """Write ``out/raw`` and ``out/unimer.jsonl``; return ``{"clips", "subjects", "kept", "rejected"}``.

    Raises:
        InputError: if ``out`` is a file, or a non-empty folder without ``overwrite`` (nothing is written).
    """
    from zoo_deft_llm.sources import list_clips
    from zoo_deft_llm.synth import generate
    from zoo_deft_llm.unimer.builder import build_records

    counts = {"clips": 0, "subjects": options.subjects, "kept": 0, "rejected": 0}
    with sdk.atomic_output_dir(out, overwrite=overwrite) as work:
        generate(work / RAW, options)
        with (work / UNIMER).open("w", encoding="utf-8") as handle:
            for record, _, result in build_records(list_clips("casme2", work / RAW)):
                for role in ("onset", "apex"):  # relative to OUT: the folder is renamed at the end
                    record[f"{role}_path"] = Path(record[f"{role}_path"]).relative_to(work).as_posix()
                handle.write(json.dumps(record) + "\n")
                counts["clips"] += 1
                counts["kept"] += len(result.kept)
                counts["rejected"] += len(result.rejected)
        sdk.write_synthetic_marker(work, generator=GENERATOR, seed=options.seed, layout="casme2 frames in raw/ + unimer.jsonl",
                                   **{k: v for k, v in asdict(options).items() if k != "seed"})
    return counts
