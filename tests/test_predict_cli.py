"""``zoo predict``: one JSON schema, --example, unique pictures, errors as one line; ``zoo.example_input``."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import zoo
from zoo.errors import InputError
from zoo.weights import sha256_file

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "predict.schema.json").read_text())


@pytest.fixture
def run():
    from zoo.cli.main import build_cli

    cli = build_cli()

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def checkpoint(toy_model, tmp_path: Path, write_registry) -> Path:
    """A published toy checkpoint ``toy-local`` whose pinned files include ``example.npy``."""
    folder = zoo.save(toy_model, tmp_path / "toy-local")
    np.save(folder / "example.npy", np.linspace(-1, 1, 16).reshape(2, 8))
    files = ", ".join(f'"{n}" = "sha256:{sha256_file(folder / n)}"' for n in ("model.safetensors", "example.npy"))
    write_registry(
        f'[models."toy-local"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "local-dir:{folder}"\nfiles = {{ {files} }}\n'
    )
    return folder


def test_example_json_follows_the_schema_and_matches_the_python_api(run, checkpoint) -> None:
    result = run("predict", "toy-local", "--example", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    jsonschema.validate(document, SCHEMA)
    assert document["model"] == "toy-local" and document["source"] == f"local-dir:{checkpoint}"
    (prediction,) = document["predictions"]
    assert prediction["input"] == str(checkpoint / "example.npy")
    expected = zoo.predict("toy-local", zoo.example_input("toy-local"))[0]
    assert prediction == expected.to_dict()


def test_pictures_and_predictions_json_for_two_files_of_the_same_name(run, checkpoint, tmp_path) -> None:
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "rows.npy", np.full((3, 8), 0.5 if folder == "x" else -0.5))
    out = tmp_path / "out"
    result = run("predict", "toy-local", str(tmp_path / "x/rows.npy"), str(tmp_path / "y/rows.npy"), "--out", str(out),
                 "--batch-size", "1")
    assert result.exit_code == 0, result.output
    written = json.loads((out / "predictions.json").read_text())
    jsonschema.validate(written, SCHEMA)
    assert [p["files"] for p in written["predictions"]] == [[str(out / "x_rows.png")], [str(out / "y_rows.png")]]
    assert (out / "x_rows.png").is_file() and (out / "y_rows.png").is_file()
    lines = result.output.splitlines()
    assert lines[0] == f"model: toy-local (local-dir:{checkpoint})"
    assert lines[1].startswith(f"- {tmp_path / 'x/rows.npy'}: label: ") and lines[2] == f"    wrote {out / 'x_rows.png'}"


def test_a_bad_input_is_one_error_line_and_nothing_is_written(run, checkpoint, tmp_path) -> None:
    np.save(tmp_path / "good.npy", np.ones((1, 8)))
    np.save(tmp_path / "wide.npy", np.ones((1, 9)))
    out = tmp_path / "out"
    result = run("predict", "toy-local", str(tmp_path / "good.npy"), str(tmp_path / "wide.npy"), "--out", str(out))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path / 'wide.npy'}: expected feature rows of shape [T, 8] (or [8]), got shape [1, 9]."
    ]
    assert not out.exists()


def test_usage_errors_exit_2(run, checkpoint) -> None:
    result = run("predict", "toy-local")
    assert result.exit_code == 2 and "Give at least one INPUT, or --example" in result.output
    assert run("predict", "toy-local", "--example", "--batch-size", "0").exit_code == 2


def test_device_and_dtype_options_reach_the_model(run, checkpoint) -> None:
    bf16 = json.loads(run("predict", "toy-local", "--example", "--json", "--dtype", "bf16", "--device", "cpu").output)
    fp32 = json.loads(run("predict", "toy-local", "--example", "--json").output)
    assert bf16["predictions"][0]["outputs"]["probabilities"] == pytest.approx(
        fp32["predictions"][0]["outputs"]["probabilities"], abs=2e-2)
    result = run("predict", "toy-local", "--example", "--dtype", "int3")
    assert result.exit_code == 1 and result.output.startswith("error: Unknown dtype 'int3'")


def test_example_input_of_a_folder_a_local_dir_and_a_checkpoint_without_one(checkpoint, tmp_path) -> None:
    assert zoo.example_input(f"local-dir:{checkpoint}") == checkpoint / "example.npy"
    clip = tmp_path / "clip"
    (clip / "example").mkdir(parents=True)
    for frame in ("onset.png", "apex.png"):
        (clip / "example" / frame).write_bytes(b"")
    assert zoo.example_input(f"local-dir:{clip}") == clip / "example"
    (checkpoint / "example.npy").unlink()
    with pytest.raises(InputError, match="ships no example input"):
        zoo.example_input(f"local-dir:{checkpoint}")


def test_example_of_a_catalog_entry_is_verified(checkpoint) -> None:
    from zoo.errors import ChecksumMismatchError

    np.save(checkpoint / "example.npy", np.zeros((2, 8)))  # not the pinned file any more
    with pytest.raises(ChecksumMismatchError, match="example.npy"):
        zoo.example_input("toy-local")


def test_a_recipe_has_no_example(run) -> None:
    result = run("predict", "toy-fusion-recipe", "--example")
    assert result.exit_code == 1 and "is a recipe" in result.output
