"""``zoo.predict``: one record per input, real batching in size buckets, validation before output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from zoo.errors import ConfigError, InputError
from zoo.predicting import PredictUnsupportedError, unique_stems


def _reference(model, rows: np.ndarray) -> list[float]:
    """What the toy model should answer for one input, computed by hand from its forward."""
    x = torch.from_numpy(np.atleast_2d(rows).astype(np.float32)).mean(dim=0, keepdim=True)
    with torch.no_grad():
        return torch.softmax(model(x), dim=-1)[0].tolist()


@pytest.fixture
def inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    # Five inputs of 2 rows and three of 3 rows, interleaved: two size buckets.
    return [rng.normal(size=(2 if i % 3 else 3, 8)) for i in range(8)]


def test_each_input_gets_its_own_prediction_in_input_order(toy_model, inputs) -> None:
    predictions = zoo.predict(toy_model, inputs, batch_size=3)
    assert len(predictions) == len(inputs)
    for prediction, rows in zip(predictions, inputs):
        assert prediction.task == "toy-classification"
        assert prediction.input == f"array({rows.shape[0]}x8 float64)"
        assert prediction["probabilities"] == pytest.approx(_reference(toy_model, rows), abs=1e-5)
        assert prediction["label"] == int(np.argmax(_reference(toy_model, rows)))
        assert prediction.files == []
        assert prediction.to_dict() == {
            "input": prediction.input, "task": "toy-classification", "outputs": prediction.outputs, "files": []
        }


def test_one_forward_per_batch_and_sizes_never_mixed(toy_model, inputs, monkeypatch) -> None:
    shapes: list[tuple[int, ...]] = []
    original = toy_model.predict_step

    def counting(batch: torch.Tensor) -> list[dict]:
        shapes.append(tuple(batch.shape))
        return original(batch)

    monkeypatch.setattr(toy_model, "predict_step", counting)
    batched = zoo.predict(toy_model, inputs, batch_size=2)
    # bucket T=3 (inputs 0, 3, 6) and bucket T=2 (1, 2, 4, 5, 7), at most 2 per forward
    assert shapes == [(2, 3, 8), (1, 3, 8), (2, 2, 8), (2, 2, 8), (1, 2, 8)]
    shapes.clear()
    one_by_one = zoo.predict(toy_model, inputs, batch_size=1)
    assert len(shapes) == len(inputs)
    for a, b in zip(batched, one_by_one):
        assert a["probabilities"] == pytest.approx(b["probabilities"], abs=1e-6)


def test_a_single_input_need_not_be_wrapped_in_a_list(toy_model) -> None:
    (prediction,) = zoo.predict(toy_model, np.ones(8))
    assert prediction["probabilities"] == pytest.approx(_reference(toy_model, np.ones(8)), abs=1e-5)


def test_pictures_have_one_unique_name_per_input(toy_model, tmp_path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "img.npy", np.ones((2, 8)) * (1 if folder == "a" else -1))
    paths = [str(tmp_path / "a" / "img.npy"), str(tmp_path / "b" / "img.npy")]
    out = tmp_path / "out"
    predictions = zoo.predict(toy_model, paths, out_dir=out)
    files = [p.files for p in predictions]
    assert files == [[out / "a_img.png"], [out / "b_img.png"]]
    assert all(f.stat().st_size > 0 for (f,) in files)
    assert [p.input for p in predictions] == paths


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (["x/a.jpg", "y/b.jpg"], ["a", "b"]),
        (["x/img.jpg", "y/img.jpg"], ["x_img", "y_img"]),
        (["p/x/img.jpg", "q/x/img.jpg", "other.jpg"], ["p_x_img", "q_x_img", "other"]),
        (["img.jpg", "img.jpg"], ["img", "img-2"]),
        ([np.zeros(3), "a.npy", np.zeros(3)], ["input-1", "a", "input-3"]),
        (["clips/example"], ["example"]),
        (["we ird/na me!.png"], ["na-me"]),
    ],
)
def test_unique_stems(inputs, expected) -> None:
    assert unique_stems(inputs) == expected


def test_every_input_is_checked_before_anything_is_written(toy_model, tmp_path) -> None:
    good = tmp_path / "good.npy"
    np.save(good, np.ones((2, 8)))
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"missing\.npy: expected an existing \.npy file"):
        zoo.predict(toy_model, [str(good), str(tmp_path / "missing.npy")], out_dir=out)
    with pytest.raises(InputError, match=r"array\(2x5 float64\): expected feature rows of shape \[T, 8\]"):
        zoo.predict(toy_model, [str(good), np.ones((2, 5))], out_dir=out)
    assert not out.exists()


def test_a_decoder_error_is_reported_as_an_input_error_naming_the_input(toy_model, tmp_path) -> None:
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not an array")
    with pytest.raises(InputError, match=r"bad\.npy"):
        zoo.predict(toy_model, [str(bad)])


def test_bad_arguments_are_typed_errors(toy_model, tmp_path) -> None:
    with pytest.raises(InputError, match="No inputs"):
        zoo.predict(toy_model, [])
    with pytest.raises(InputError, match="batch_size must be at least 1"):
        zoo.predict(toy_model, np.ones(8), batch_size=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        zoo.predict(toy_model, np.ones(8), out_dir=tmp_path / "file")
    with pytest.raises(ConfigError, match="Unknown dtype 'int8'"):
        zoo.predict(toy_model, np.ones(8), dtype="int8")
    with pytest.raises(ConfigError, match="Unknown device 'gpu0'"):
        zoo.predict(toy_model, np.ones(8), device="gpu0")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_a_gpu_says_so(toy_model) -> None:
    with pytest.raises(ConfigError, match="torch sees no CUDA GPU"):
        zoo.predict(toy_model, np.ones(8), device="cuda")


def test_dtype_casts_the_model_and_the_batch(toy_model) -> None:
    reference = zoo.predict(toy_model, np.ones(8))[0]["probabilities"]
    half = zoo.predict(toy_model, np.ones(8), dtype="bf16")[0]["probabilities"]
    assert next(toy_model.parameters()).dtype == torch.bfloat16
    assert half == pytest.approx(reference, abs=2e-2)
    assert zoo.predict(toy_model, np.ones(8), device="auto", dtype=torch.float32)[0]["label"] == int(np.argmax(reference))


def test_items_past_the_memory_budget_are_read_again_for_their_batch(toy_model, inputs, monkeypatch) -> None:
    import zoo.predicting as predict_module

    expected = zoo.predict(toy_model, inputs)
    processor_type = type(toy_model.processor())
    loads: list[int] = []
    original = processor_type.load
    monkeypatch.setattr(processor_type, "load", lambda self, x: loads.append(1) or original(self, x))
    monkeypatch.setattr(predict_module, "KEEP_BYTES", 3 * 8 * 4 + 1)  # room for the first item (3 float32 rows) only
    again = zoo.predict(toy_model, inputs)
    assert len(loads) == 2 * len(inputs) - 1
    assert [p.outputs for p in again] == [p.outputs for p in expected]


def test_a_model_without_the_predict_api_gets_a_typed_error() -> None:
    class Bare(zoo.Model):
        def forward(self, x):
            return x

    with pytest.raises(PredictUnsupportedError, match="does not declare its task"):
        zoo.predict(Bare(), np.ones(8))
    Bare.task = "toy-classification"
    with pytest.raises(PredictUnsupportedError, match="does not implement processor"):
        zoo.predict(Bare(), np.ones(8))
    with pytest.raises(PredictUnsupportedError, match="is not a zoo model"):
        zoo.predict(object(), np.ones(8))


def test_outputs_that_are_not_one_json_dict_per_item_are_refused(toy_model, monkeypatch) -> None:
    monkeypatch.setattr(toy_model, "predict_step", lambda batch: [{"logits": torch.zeros(3)}])
    with pytest.raises(PredictUnsupportedError, match="not plain JSON"):
        zoo.predict(toy_model, np.ones(8))
    monkeypatch.setattr(toy_model, "predict_step", lambda batch: [])
    with pytest.raises(PredictUnsupportedError, match="must return a list of 1 dicts"):
        zoo.predict(toy_model, np.ones(8))


def test_the_processor_is_reusable_on_its_own(toy_model) -> None:
    processor = toy_model.processor()
    assert processor.to_dict() == {"processor": "zoo_toy_models.predict:ToyProcessor", "in_features": 8, "scale": 1.0}
    batch = processor([np.ones((2, 8)), np.zeros((2, 8))])
    assert batch.shape == (2, 2, 8) and batch.dtype == torch.float32
    with pytest.raises(InputError, match="give items of different shapes different bucket_key"):
        processor([np.ones((2, 8)), np.zeros((3, 8))])


def test_processor_settings_travel_in_the_saved_config(tmp_path) -> None:
    model = zoo.build("model/toy-fusion", scale=2.0)
    loaded = zoo.load(f"local-dir:{zoo.save(model, tmp_path / 'scaled')}")
    assert loaded.processor().scale == 2.0
    assert zoo.predict(loaded, np.ones(8))[0].outputs == zoo.predict(model, np.ones(8))[0].outputs


def test_progress_bar_runs_over_many_inputs(toy_model, inputs, capsys) -> None:
    assert len(zoo.predict(toy_model, inputs * 3, batch_size=2, progress=True)) == 24
    capsys.readouterr()
    zoo.predict(toy_model, inputs * 3, batch_size=2)  # default: off when stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_a_path_input_is_described_as_written(toy_model, tmp_path) -> None:
    path = tmp_path / "rows.npy"
    np.save(path, np.ones((1, 8)))
    assert zoo.predict(toy_model, Path(path))[0].input == str(path)


def test_the_progress_bar_is_on_by_default_only_on_a_terminal_with_several_batches(monkeypatch) -> None:
    import sys

    from zoo.predicting import _progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with _progress_bar(None, 20, 8) as bar:
        assert bar._progress is not None
    with _progress_bar(None, 8, 8) as bar:  # one batch: nothing to watch
        assert bar._progress is None
    with _progress_bar(False, 20, 8) as bar:
        assert bar._progress is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with _progress_bar(None, 20, 8) as bar:
        assert bar._progress is None


def test_predict_unsupported_error_is_a_zoo_error_on_the_sdk_and_still_importable_from_predicting() -> None:
    import zoo.errors
    import zoo.sdk

    assert zoo.sdk.PredictUnsupportedError is zoo.errors.PredictUnsupportedError is PredictUnsupportedError
    assert issubclass(PredictUnsupportedError, (zoo.errors.ZooError, NotImplementedError))
    for name in ("CorruptWeightsError", "UnsafeWeightsError", "PublishError"):
        assert getattr(zoo.sdk, name) is getattr(zoo.errors, name)
