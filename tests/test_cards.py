"""Model cards the Hub understands: metadata, datasets, pipeline tags, install line, a Use snippet that runs."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest
from huggingface_hub import ModelCard

import zoo
from zoo.errors import ConfigError
from zoo.modelcard import CardInfo, pipeline_tag_for, render_card
from zoo.weights import sha256_file

METRICS = [
    {"name": "accuracy", "value": 0.75, "measured_on": "synthetic toy test split (32 samples)", "std": 0.05, "n": 3},
    {"name": "loss", "value": 0.5, "measured_on": "synthetic toy test split (32 samples)", "setting": "seed 0"},
]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_metadata_has_library_datasets_tags_and_a_model_index_from_the_card(toy_model, tmp_path) -> None:
    card = {"name": "toy-card", "license": "apache-2.0", "datasets": ["org/toy-vectors"], "tags": ["toy"], "metrics": METRICS}
    out = zoo.save(toy_model, tmp_path / "toy", card=card)
    loaded = ModelCard.load(out / "README.md")
    assert loaded.data.library_name == "zoo" and loaded.data.license == "apache-2.0"
    assert loaded.data.datasets == ["org/toy-vectors"]
    assert loaded.data.tags == ["toy", "zoo"]
    assert loaded.data.pipeline_tag is None  # toy-classification is no Hub task: no tag rather than a wrong one
    first, second = loaded.data.eval_results
    assert (first.dataset_type, first.dataset_name) == ("org/toy-vectors", "synthetic toy test split (32 samples)")
    assert (first.task_type, first.metric_type, first.metric_value) == ("toy-classification", "accuracy", 0.75)
    assert first.metric_name == "accuracy, mean ± 0.05 over 3 runs"
    assert second.metric_name == "loss (seed 0)"


def test_without_a_dataset_id_the_model_index_type_is_short_and_the_name_the_whole_text(toy_model, tmp_path) -> None:
    metric = {"name": "MAE", "value": 33.5, "measured_on": "ShanghaiTech part A test (182 images)"}
    out = zoo.save(toy_model, tmp_path / "toy", card={"name": "toy", "metrics": [metric]})
    result = ModelCard.load(out / "README.md").data.eval_results[0]
    assert result.dataset_type == "shanghaitech-part-a-test"  # the head of the text, not a sentence
    assert result.dataset_name == "ShanghaiTech part A test (182 images)"
    assert ModelCard.load(out / "README.md").data.datasets is None


def test_a_run_card_names_its_evaluation_dataset_or_synthetic_in_the_model_index(toy_model, tmp_path) -> None:
    measured = "leave-one-subject-out over 3 subjects of dataset/casme2 (root=data, split=all, 255 clips)"
    provenance = {"data": {"dataset": {"name": "dataset/casme2"}, "eval_dataset": {"name": "dataset/samm"}}}
    real = {"name": "real", "metrics": [{"name": "UF1", "value": 0.5, "measured_on": measured}], "provenance": provenance}
    result = ModelCard.load(zoo.save(toy_model, tmp_path / "real", card=real) / "README.md").data.eval_results[0]
    assert (result.dataset_type, result.dataset_name) == ("samm", measured)  # the registry name of what it tested on
    del provenance["data"]["eval_dataset"]
    result = ModelCard.load(zoo.save(toy_model, tmp_path / "loso", card=real) / "README.md").data.eval_results[0]
    assert result.dataset_type == "casme2"

    words = "SYNTHETIC crowd scenes (zoo l2hcount make-synth, seed 0): held-out test split of dataset/sha, 12 images"
    synthetic = {"name": "synth", "synthetic": True, "provenance": provenance,
                 "metrics": [{"name": "MAE", "value": 3.0, "measured_on": words}]}
    card = ModelCard.load(zoo.save(toy_model, tmp_path / "synth", card=synthetic) / "README.md")
    assert (card.data.eval_results[0].dataset_type, card.data.eval_results[0].dataset_name) == ("synthetic", words)
    import yaml

    front = yaml.safe_load((tmp_path / "synth" / "README.md").read_text().split("---")[1])  # as the Hub reads it
    assert front["model-index"][0]["results"][0]["dataset"] == {"type": "synthetic", "name": words}


@pytest.mark.parametrize(
    ("task", "pipeline_tag", "expected"),
    [
        ("micro-expression-recognition", None, "video-classification"),
        ("crowd-counting", None, None),
        ("point-cloud-classification", None, None),
        ("image-classification", None, "image-classification"),
        ("unheard-of-task", None, None),
        ("micro-expression-recognition", "video-text-to-text", "video-text-to-text"),
    ],
)
def test_pipeline_tag_comes_from_the_task_where_the_hub_has_one(task, pipeline_tag, expected) -> None:
    assert pipeline_tag_for(CardInfo(task=task, pipeline_tag=pipeline_tag)) == expected


def test_a_mapped_task_writes_its_pipeline_tag(toy_model, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(type(toy_model), "task", "micro-expression-recognition")
    out = zoo.save(toy_model, tmp_path / "toy", card={"name": "toy", "task": "written by hand"})
    loaded = ModelCard.load(out / "README.md")
    assert loaded.data.pipeline_tag == "video-classification"
    assert "| task | micro-expression-recognition (Hub pipeline tag `video-classification`) |" in loaded.text


def test_an_unknown_pipeline_tag_is_refused_before_anything_is_written(toy_model, tmp_path) -> None:
    with pytest.raises(ConfigError, match="'crowd-counting' is not a Hugging Face Hub pipeline tag"):
        zoo.save(toy_model, tmp_path / "toy", card={"pipeline_tag": "crowd-counting"})
    assert not (tmp_path / "toy").exists()


def test_install_line_names_the_core_and_every_plugin_distribution(tmp_path) -> None:
    model = zoo.build("model/toy-fusion", experts={"b": "expert/lbp-top"})
    text = (zoo.save(model, tmp_path / "lbp") / "README.md").read_text()
    assert "```bash\npip install perception-zoo zoo-thirdparty-lbp zoo-toy-models\n```" in text


def test_the_use_snippet_of_a_saved_card_runs_as_written(toy_model, tmp_path, write_registry) -> None:
    folder = zoo.save(toy_model, tmp_path / "toy-card", card={"name": "toy-card"})
    np.save(folder / "example.npy", np.arange(16, dtype=np.float64).reshape(2, 8) / 16)
    files = ", ".join(f'"{n}" = "sha256:{sha256_file(folder / n)}"' for n in ("model.safetensors", "example.npy"))
    write_registry(
        f'[models."toy-card"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "local-dir:{folder}"\nfiles = {{ {files} }}\n'
    )
    (snippet,) = _python_blocks((folder / "README.md").read_text())
    assert 'zoo.predict(model, zoo.example_input("toy-card"))' in snippet.replace("'", '"')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "README.md", "exec"), {})
    expected = zoo.predict(toy_model, np.arange(16, dtype=np.float64).reshape(2, 8) / 16)[0].outputs
    assert printed.getvalue().strip() == str(expected)
    assert "`zoo predict toy-card --example --out predictions/`" in (folder / "README.md").read_text()


def test_a_card_without_a_name_loads_the_folder_in_its_snippet(toy_model, tmp_path, monkeypatch) -> None:
    folder = zoo.save(toy_model, tmp_path / "plain")
    np.save(folder / "example.npy", np.ones((1, 8)))
    text = (folder / "README.md").read_text()
    (snippet,) = _python_blocks(text)
    assert "model = zoo.load('./plain')" in snippet and str(tmp_path) not in text  # no absolute path leaks
    assert "`zoo predict ./plain --example --out predictions/`" in text
    monkeypatch.chdir(tmp_path)  # the reader stands next to the folder
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "README.md", "exec"), {})
    assert "'label'" in printed.getvalue()


def test_a_card_written_inside_atomic_output_dir_names_the_final_folder(toy_model, tmp_path) -> None:
    from zoo.sdk import atomic_output_dir

    with atomic_output_dir(tmp_path / "release") as work:
        zoo.save(toy_model, work)
        zoo.save(toy_model, work / "publish")
    top, nested = (tmp_path / "release" / "README.md").read_text(), (tmp_path / "release/publish/README.md").read_text()
    assert "zoo.load('./release')" in top and "zoo.load('./publish')" in nested
    for text in (top, nested):
        assert ".tmp-" not in text and str(tmp_path) not in text
    named = zoo.save(toy_model, tmp_path / "named", card={"name": "toy-card"})
    assert "model = zoo.load('toy-card')" in (named / "README.md").read_text()  # the catalog name wins


def test_a_model_without_the_predict_api_gets_a_load_only_snippet() -> None:
    text = render_card(CardInfo(name="x"), "model/x", {"model/x": "zoo-x@1.0"}, "x", predicts=False)
    (snippet,) = _python_blocks(text)
    assert snippet.strip().splitlines() == ["import zoo", "", "model = zoo.load('x')"]
    assert "zoo predict x --example" not in text


@pytest.mark.parametrize(
    ("metrics", "named"),
    [
        ([{"name": "mae", "value": 1.0}], r"card\.metrics\.0\.measured_on: Field required"),
        ([{"name": "mae", "value": "high", "measured_on": "synthetic scenes"}], r"card\.metrics\.0\.value: .*\(got 'high'\)"),
        ([{"name": "mae", "value": 1.0, "measured_on": "synthetic scenes", "stdev": 0.1}], r"card\.metrics\.0\.stdev: Extra inputs"),
        ([{"name": "mae", "value": 1.0, "measured_on": "synthetic scenes", "n": 0}], r"card\.metrics\.0\.n: "),
        ({"mae": 1.0}, r"card\.metrics: "),
    ],
)
def test_a_wrong_metric_shape_is_a_config_error_naming_the_fields(toy_model, tmp_path, metrics, named) -> None:
    with pytest.raises(ConfigError, match=named) as caught:
        zoo.save(toy_model, tmp_path / "toy", card={"metrics": metrics})
    assert "Each metric is a dict {name: str, value: number, measured_on: str" in str(caught.value)
    assert not (tmp_path / "toy").exists()


def test_an_unknown_card_field_is_a_config_error_listing_the_fields(toy_model, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"card\.dataset: Extra inputs are not permitted.*Card fields: name, summary"):
        zoo.save(toy_model, tmp_path / "toy", card={"dataset": "x"})


def test_mean_and_std_over_runs_are_rendered(toy_model, tmp_path) -> None:
    text = (zoo.save(toy_model, tmp_path / "toy", card={"metrics": METRICS}) / "README.md").read_text()
    assert "| accuracy | 0.75 ± 0.05 (n=3) | synthetic toy test split (32 samples) | — |" in text
    assert "| loss | 0.5 | synthetic toy test split (32 samples) | seed 0 |" in text


def test_synthetic_cards_say_so_and_show_provenance_as_a_table(toy_model, tmp_path) -> None:
    provenance = {
        "recipe": "toy-fusion-recipe",
        "overrides": ["model.experts.a=None", "train.epochs=2"],
        "data": {"dataset": {"name": "dataset/toy", "fingerprint": {"files": 3, "sha256": "ab|cd"}}},
        "pretrained": {},
    }
    card = {"name": "toy-synth", "synthetic": True, "provenance": provenance}
    out = zoo.save(toy_model, tmp_path / "toy", card=card)
    loaded = ModelCard.load(out / "README.md")
    assert "synthetic" in loaded.data.tags
    assert "> **Synthetic data.** This checkpoint was trained and evaluated on data generated by the zoo" in loaded.text
    assert "## Provenance\n\n| | |\n|---|---|\n| `recipe` | toy-fusion-recipe |\n" in loaded.text
    assert "| `overrides` | model.experts.a=None, train.epochs=2 |" in loaded.text
    assert "| `data.dataset.fingerprint.sha256` | ab\\|cd |" in loaded.text
    assert "| `pretrained` | — |" in loaded.text
    saved = zoo.load(f"local-dir:{out}")  # the card round-trips through config.json
    assert saved is not None
    from zoo.saving import read_saved_config

    info = read_saved_config(out / "config.json").card
    assert info.synthetic and info.provenance == provenance and info.task == "toy-classification"
