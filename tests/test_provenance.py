"""zoo.provenance: synthetic markers, dataset fingerprints, code version, machine, display paths."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zoo.errors import InputError
from zoo.provenance import (
    SYNTHETIC_MARKER,
    code_version,
    dataset_fingerprint,
    display_path,
    find_synthetic_marker,
    machine,
    write_synthetic_marker,
)


def test_a_marker_is_found_from_the_folder_a_file_inside_it_and_a_subfolder(tmp_path):
    root = tmp_path / "synth"
    written = write_synthetic_marker(root, generator="zoo toy make-synth", seed=3, images=20, kinds=["a", "b"])
    assert written == root / SYNTHETIC_MARKER
    assert json.loads(written.read_text()) == {
        "synthetic": True, "generator": "zoo toy make-synth", "seed": 3, "params": {"images": 20, "kinds": ["a", "b"]},
    }
    (root / "train" / "images").mkdir(parents=True)
    (root / "train" / "labels.csv").write_text("x")
    for start in (root, root / "train" / "images", root / "train" / "labels.csv"):
        marker = find_synthetic_marker(start)
        assert marker is not None and marker.root == root.resolve()
        assert (marker.generator, marker.seed, marker.params["images"]) == ("zoo toy make-synth", 3, 20)
    assert "SYNTHETIC" in marker.describe() and "seed 3" in marker.describe()


def test_real_data_has_no_marker_and_bad_markers_are_typed_errors(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    assert find_synthetic_marker(real) is None
    (real / SYNTHETIC_MARKER).write_text("{not json")
    with pytest.raises(InputError, match="regenerate"):
        find_synthetic_marker(real)
    (real / SYNTHETIC_MARKER).write_text('{"seed": 1}')
    with pytest.raises(InputError, match="generator"):
        find_synthetic_marker(real)
    with pytest.raises(InputError, match="JSON"):
        write_synthetic_marker(tmp_path / "x", generator="g", seed=0, bad=object())
    with pytest.raises(InputError, match="is a file"):
        write_synthetic_marker(real / SYNTHETIC_MARKER, generator="g", seed=0)


def test_the_fingerprint_hashes_sorted_relative_names_and_sizes(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.bin").write_bytes(b"12345")
    (tmp_path / "a.txt").write_bytes(b"xy")
    expected = hashlib.sha256(b"a.txt\t2\nb/two.bin\t5\n").hexdigest()
    assert dataset_fingerprint(tmp_path) == {"files": 2, "bytes": 7, "sha256": expected}

    (tmp_path / "a.txt").write_bytes(b"zw")  # same size: contents are not read (cheap on big data)
    assert dataset_fingerprint(tmp_path)["sha256"] == expected
    (tmp_path / "a.txt").write_bytes(b"zwv")
    assert dataset_fingerprint(tmp_path)["sha256"] != expected
    assert dataset_fingerprint(tmp_path / "a.txt")["files"] == 1
    with pytest.raises(InputError, match="no such file"):
        dataset_fingerprint(tmp_path / "missing")


def test_display_path_never_shows_an_absolute_path(tmp_path, monkeypatch):
    data = tmp_path / "work" / "data" / "sha"
    data.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    assert display_path(data) == "data/sha"
    monkeypatch.chdir(data)
    assert display_path(data) == "."
    monkeypatch.chdir(tmp_path.parent)
    assert display_path(data) == f"{tmp_path.name}/work/data/sha"
    monkeypatch.chdir(data / "..")
    assert display_path(tmp_path / "work") == "…/work"


def test_code_version_reads_distributions_and_their_git_commit():
    versions = code_version(["zoo-toy-models", "no-such-distribution"])
    core = versions["perception-zoo"]
    import zoo

    assert core["version"] == zoo.__version__
    head = subprocess.run(["git", "-C", str(Path(zoo.__file__).parent), "rev-parse", "HEAD"],
                          capture_output=True, text=True)
    if head.returncode == 0:  # an editable install from this checkout
        assert core["git_commit"] == head.stdout.strip() and isinstance(core["git_dirty"], bool)
    assert versions["zoo-toy-models"]["version"] == "0.1.0"
    assert versions["no-such-distribution"] == {"version": None}


def test_machine_names_the_platform_and_no_user():
    info = machine(device="cpu")
    assert info["cpu_count"] >= 1 and info["device"] == "cpu"
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    import platform

    host = platform.node()
    assert len(host) < 4 or host not in json.dumps(info)  # no host name on a card
