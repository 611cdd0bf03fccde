"""Every core CLI verb against bad input: the typed error, its message, the exit status, no traceback,
and every input file byte-identical afterwards.

One table, one row per attack; the files the rows point at are made once per test in a scratch
folder (the working directory), and hashed before and after.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import zoo


def _tree(root: Path) -> dict[str, str]:
    """Every file under root (links not followed) → sha256 of its bytes (or of its link target)."""
    out = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = "link:" + str(path.readlink())
        elif path.is_file():
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _saved(name: str, model: torch.nn.Module, mutate=None, weights=None) -> Path:
    folder = zoo.save(model, Path(name))
    if mutate is not None:
        config = json.loads((folder / "config.json").read_text())
        mutate(config)
        (folder / "config.json").write_text(json.dumps(config))
    if weights is not None:
        weights(folder / "model.safetensors")
    return folder


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _no_record(config: dict) -> None:
    config.pop("weights_sha256")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch, toy_model) -> Path:
    """The inputs the rows attack, in the working directory."""
    monkeypatch.chdir(tmp_path)
    _saved("good", toy_model)
    _saved("abc", toy_model, lambda c: c.update(schema_version="abc"))
    _saved("bool-schema", toy_model, lambda c: c.update(schema_version=True))
    _saved("mistyped", toy_model, lambda c: c.update(model=5, components=[1]))
    _saved("unknown-field", toy_model, lambda c: c.update(evil="rm -rf /"))
    _saved("empty-config", toy_model)
    Path("empty-config/config.json").write_text("")
    _saved("deep-config", toy_model)
    Path("deep-config/config.json").write_text("[" * 100_000 + "]" * 100_000)
    _saved("binary-config", toy_model)
    Path("binary-config/config.json").write_bytes(b"\xff\xfe\x00garbage")
    _saved("no-config", toy_model)
    Path("no-config/config.json").unlink()
    _saved("dir-weights", toy_model)
    Path("dir-weights/model.safetensors").unlink()
    Path("dir-weights/model.safetensors").mkdir()
    _saved("truncated", toy_model, _no_record, _truncate)
    _saved("pickle-weights", toy_model, _no_record, lambda p: p.write_bytes(b"\x80\x04\x95 a pickle"))
    _saved("flipped", toy_model, weights=lambda p: p.write_bytes(p.read_bytes()[:-1] + b"\x00"))
    _saved("empty-weights", toy_model, _no_record, lambda p: p.write_bytes(b""))
    Path("x.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    Path("notes.txt").write_text("my own notes")
    Path("empty.pth").write_bytes(b"")
    Path("garbage.pth").write_bytes(b"not a pickle at all")
    torch.save({"state_dict": toy_model.state_dict()}, "legacy.pth")
    _saved("linked", toy_model)
    Path("linked/extra.txt").symlink_to(Path("notes.txt").resolve())  # a link out of the folder
    Path("run").mkdir()
    Path("run/metrics.jsonl").write_text('{"kind": "step", "step": 1, "epoch": 0, "loss": 1}\nnot json\n{}\n')
    import numpy as np

    np.save("huge.npy", np.full((2, 8), 1e300))  # finite, but inf once the model casts it to float32
    Path("recipe.toml").write_text(
        'model = "model/toy-fusion"\n[dataset]\nname = "dataset/toy-blobs"\nconfig = { root = "no-such-data" }\n'
        "[train]\nepochs = 1\n"
    )
    return tmp_path


# (argv, exit status, words the output must contain)
ROWS = [
    (["list", "--kind", "bogus"], 2, "'bogus' is not one of"),
    (["list", "--bogus"], 2, "No such option"),
    (["info", "nope-nothing"], 1, "error: Unknown name 'nope-nothing'"),
    (["info", "hf-hub:not a repo"], 1, "error: Bad Hub repository 'not a repo'"),
    (["info", "local-dir:abc"], 1, "schema_version must be a positive integer (this zoo writes 1), got 'abc'"),
    (["predict", "hf-hub:not a repo", "x.jpg"], 1, "error: Bad Hub repository 'not a repo'"),
    (["predict", "nope-nothing", "x.jpg"], 1, "error: Unknown name 'nope-nothing'"),
    (["predict", "./abc", "x.jpg"], 1, "schema_version must be a positive integer"),
    (["predict", "./truncated", "x.jpg"], 1, "is not a valid safetensors file"),
    (["download", "nope-nothing"], 1, "error: Unknown name 'nope-nothing'"),
    (["download", "toy-fusion-recipe"], 1, "is a recipe: its weights are not published yet"),
    (["download", "./good", "--revision", "v2"], 1, "is a local folder: it has no revisions"),
    (["download", "hf-hub:org/x@"], 1, "ends with '@' but names no revision"),
    (["download", "hf-hub:org/x@../../../escape"], 1, "Bad revision '../../../escape'"),
    (["download", "hf-hub:org/x", "--revision", "a b"], 1, "Bad revision 'a b'"),
    (["download", "hf-hub:org/x@main", "--revision", "v2"], 1, "names revision 'main' but revision='v2'"),
    (["verify", "./no-such-folder"], 1, "is not a folder"),
    (["verify", "./notes.txt"], 1, "is not a folder"),
    (["verify", "./abc"], 1, "got 'abc'"),
    (["verify", "./bool-schema"], 1, "got True"),
    (["verify", "./mistyped"], 1, "model: Input should be a valid string"),
    (["verify", "./unknown-field"], 1, "evil: Extra inputs are not permitted"),
    (["verify", "./empty-config"], 1, "Cannot read empty-config/config.json as a zoo config.json"),
    (["verify", "./deep-config"], 1, "nested too deeply"),
    (["verify", "./binary-config"], 1, "UnicodeDecodeError"),
    (["verify", "./no-config"], 1, "no-config/config.json does not exist or is not a file"),
    (["verify", "./dir-weights"], 1, "dir-weights/model.safetensors does not exist or is not a file"),
    (["verify", "./truncated"], 1, "past the end of the data"),
    (["verify", "./empty-weights"], 1, "truncated: 0 bytes"),
    (["verify", "./pickle-weights"], 1, "is not safetensors: it is a pickle"),
    (["verify", "./flipped"], 1, "weights_sha256 that zoo.save recorded"),
    (["verify", "./flipped", "--json"], 1, '"error_type": "ChecksumMismatchError"'),
    (["verify", "timm/no-such-backbone.x"], 1, "zoo download timm/no-such-backbone.x@main"),
    (["convert", "legacy.pth", "model/toy-fusion", "notes.txt", "--i-trust-this-file"], 2, "is a file"),
    (["convert", "legacy.pth", "model/toy-fusion", "good", "--i-trust-this-file"], 1, "already exists and is not empty"),
    (["convert", "legacy.pth", "model/toy-fusion", "out"], 1, "without --i-trust-this-file"),
    (["convert", "garbage.pth", "model/toy-fusion", "out", "--i-trust-this-file"], 1, "Cannot read garbage.pth"),
    (["convert", "empty.pth", "model/toy-fusion", "out", "--i-trust-this-file"], 1, "Cannot read empty.pth"),
    (["convert", "legacy.pth", "expert/toy-mean", "out", "--i-trust-this-file", "--key", "state_dict"], 1,
     "does not fit expert/toy-mean"),
    (["convert", "good", "model/toy-fusion", "out"], 2, "is a directory"),
    (["publish", "./abc", "org/toy"], 1, "got 'abc'"),
    (["publish", "./truncated", "org/toy"], 1, "is not a valid safetensors file"),
    (["publish", "./good", "not a repo"], 1, "'not a repo' is not a Hub repository id"),
    (["publish", "notes.txt", "org/toy"], 2, "is a file"),
    (["publish", "./good", "org/toy"], 1, "offline mode is on (HF_HUB_OFFLINE/ZOO_OFFLINE). Nothing was uploaded"),
    (["train", "recipe.toml", "=="], 1, "Override '==' must look like <target>.<field>=<value>"),
    (["train", "recipe.toml", "model.classes"], 1, "Override 'model.classes' must look like"),
    (["train", "no-such-recipe.toml"], 1, "error:"),
    (["recipe", "explain", "nope-nothing"], 1, "error: Unknown name 'nope-nothing'"),
    (["eval", "nope-nothing"], 1, "error:"),
    (["plot", "."], 1, "metrics.jsonl does not exist"),
    (["ablate", "--spec", "nope:paper", "--out", "abl"], 1, "error: Unknown name 'nope:paper'"),
    (["new-plugin", "x", "notes.txt"], 1, "is an existing file, not a folder"),
    (["new-plugin", "../x"], 1, "Plugin name '../x' must be lower-case letters and digits"),
    (["new-plugin", "Foo Bar"], 1, "Plugin name 'Foo Bar' must be lower-case"),
    (["new-plugin", "a" * 300], 1, "at most 40 characters"),
    (["new-plugin", "class"], 1, "is a Python keyword"),
    (["new-plugin", "toy-models"], 1, "is taken by plugin toy_models (zoo-toy-models)"),
    (["new-plugin", "list"], 1, "is taken by the command `zoo list`"),
    (["new-plugin", "fresh", "good"], 1, "already exists and is not empty"),
    (["info", "local-dir:"], 1, "'local-dir:' names no folder"),
    (["verify", "~no-such-user-zoo/x"], 1, "Bad folder path '~no-such-user-zoo/x'"),
    (["publish", "./linked", "org/toy"], 1, "outside linked: publishing would upload that file"),
    (["plot", "run"], 1, "line 2: not a metrics record"),
    (["plot", "run", "--out", "notes.txt"], 1, "is an existing file, not a folder"),
    (["predict", "./good", "huge.npy", "--out", "pictures"], 1, "predicted NaN or infinite values for huge.npy"),
    (["predict", "./good", "no-such.npy"], 1, "no-such.npy: expected an existing .npy file"),
]


@pytest.mark.parametrize("argv, status, words", ROWS, ids=[" ".join(r[0])[:60] for r in ROWS])
def test_bad_input_is_one_typed_line_and_changes_nothing(argv, status, words, scratch, monkeypatch) -> None:
    from zoo.cli.main import build_cli

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no row may reach a network
    before = _tree(scratch)
    result = CliRunner().invoke(build_cli(), argv)
    output = result.output
    assert result.exit_code == status, output
    assert words in output, output
    assert "Traceback" not in output and not isinstance(result.exception, (AssertionError, NameError))
    if status == 1 and not argv[-1] == "--json":
        # a typed error (or click's own ClickException), never the catch-all for a crash
        assert output.startswith(("error: ", "Error: ")) and "error: unexpected " not in output, output
    after = _tree(scratch)
    assert {k: v for k, v in after.items() if k in before} == before  # inputs byte-identical
    assert set(after) == set(before), sorted(set(after) ^ set(before))  # and nothing half-written


def test_a_bad_timeout_setting_is_a_config_error(scratch, monkeypatch) -> None:
    from zoo.cli.main import build_cli

    monkeypatch.setenv("ZOO_HUB_TIMEOUT", "soon")
    result = CliRunner().invoke(build_cli(), ["download", "hf-hub:org/x@main"])
    assert result.exit_code == 1 and "ZOO_HUB_TIMEOUT='soon' is not a positive number of seconds" in result.output
