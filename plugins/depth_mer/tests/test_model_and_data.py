"""model/depth-mer, dataset/casme3-depth on the synthetic CAS(ME)^3 sample, training/LOSO, CLI, conformance."""

import json
import warnings

import pytest
import torch
from click.testing import CliRunner

import zoo
from zoo.errors import InputError
from zoo.testing import check_component
from zoo_mer_data.casme3 import LabelQuirkWarning

SMALL_SSG = {"name": "encoder/pointnet2-ssg", "config": {"npoints": [32, 8], "nsamples": [[8], [8]],
                                                         "mlps": [[[16]], [[32]]], "global_mlp": [32]}}
PIPELINE = {"num_points": 128, "depth_unit_mm": 0.1}


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    from zoo_depth_mer.synth_writer import make_synthetic

    root = tmp_path_factory.mktemp("casme3_synth")
    summary = make_synthetic(root, subjects=3, clips_per_subject=4, seed=3, size=(64, 80))
    return root, summary


@pytest.fixture(scope="module")
def dataset(synth_root):
    with pytest.warns(LabelQuirkWarning):
        return zoo.build("dataset/casme3-depth", root=str(synth_root[0]), num_classes=7, pipeline=PIPELINE)


def test_synthetic_sample_has_the_real_layout_and_planted_quirks(synth_root, dataset):
    root, summary = synth_root
    assert (root / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx").is_file()
    clip = summary.clips[5]
    assert (root / "RGB" / clip.subject_name / clip.filename / "color" / f"{clip.onset}.jpg").is_file()
    counts = dataset.report.counts()
    for kind in ("apex_not_after_onset", "apex_after_offset", "uppercase_filename", "damaged_frame"):
        assert counts.get(kind) == 1, kind
    assert counts["frame_substituted"] == 2  # the missing onset and the damaged apex were replaced
    assert len(dataset) == len(summary.clips)  # nothing crashed, nothing was lost


def test_dataset_items_and_collate(dataset):
    item = dataset[0]
    assert item["points"].shape == (128, 6) and item["points"].dtype == torch.float32
    assert item["subject"] == "spNO.1" and 0 <= item["label"] < 7
    batch = dataset.collate([dataset[0], dataset[1]])
    assert batch["points"].shape == (2, 128, 6) and batch["label"].dtype == torch.long


def test_clip_layout_gives_the_same_points(tmp_path, synth_root):
    from zoo_depth_mer.synth_writer import make_synthetic

    make_synthetic(tmp_path, subjects=3, clips_per_subject=4, seed=3, size=(64, 80), layout="clip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelQuirkWarning)
        clip_data = zoo.build("dataset/casme3-depth", root=str(tmp_path), num_classes=7, pipeline=PIPELINE)
        frame_data = zoo.build("dataset/casme3-depth", root=str(synth_root[0]), num_classes=7, pipeline=PIPELINE)
    assert clip_data.layout.kind == "clip"
    assert [i["sample_id"] for i in clip_data.items] == [i["sample_id"] for i in frame_data.items]
    assert torch.equal(clip_data[5]["points"], frame_data[5]["points"])


def test_model_steps_follow_the_mer_contract_and_loss_decreases():
    torch.manual_seed(0)
    model = zoo.build("model/depth-mer", encoder=SMALL_SSG, class_names=["a", "b", "c", "d"])
    assert model.metric == "mer" and model.metric_options == {"num_classes": 4}
    batch = {"points": torch.rand(6, 64, 6) * 2 - 1, "label": torch.tensor([0, 1, 2, 3, 0, 1])}
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model.training_step(batch)["cross_entropy"]
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    out = model.eval().evaluation_step(batch)
    assert out["pred"].dtype == torch.long and out["pred"].shape == (6,) and torch.equal(out["target"], batch["label"])


def test_encoder_swap_is_one_override():
    model = zoo.build("model/depth-mer", encoder={"name": "encoder/dgcnn", "config": {"k": 4, "edge_channels": [8], "emb_dims": 16}})
    assert model.encoder.out_channels == 32 and model.head.config.in_channels == 32
    assert model(torch.rand(2, 20, 6)).shape == (2, 3)


def test_predict_files_on_a_depth_pair(tmp_path, synth_root):
    root, summary = synth_root
    clip = summary.clips[6]
    folder = root / "depth" / clip.subject_name / clip.filename / "depth"
    model = zoo.build("model/depth-mer", encoder=SMALL_SSG, pipeline=PIPELINE)
    result = model.predict_files([str(folder / f"{clip.onset}.png"), str(folder / f"{clip.apex}.png")], str(tmp_path))
    prediction = result["predictions"][0]
    assert prediction["class"] in ("negative", "positive", "surprise")
    assert sum(prediction["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert json.loads((tmp_path / "depth_mer_predictions.json").read_text()) == result["predictions"]
    with pytest.raises(InputError, match="in pairs"):
        model.predict_files([str(folder / f"{clip.onset}.png")])


def test_loso_with_the_engine_on_synthetic_points(dataset):
    from zoo_depth_mer.training import loso_evaluate, materialise

    points, labels, subjects = materialise(dataset)
    labels = labels % 3
    result = loso_evaluate({"encoder": SMALL_SSG, "pipeline": PIPELINE}, points, labels, subjects, epochs=1,
                           only=["spNO.2"])
    assert result["folds"] == 1 and result["samples"] == subjects.count("spNO.2")
    assert 0.0 <= result["uf1"] <= 1.0 and 0.0 <= result["accuracy"] <= 1.0


def test_make_synth_cli(tmp_path):
    from zoo.cli.main import build_cli

    result = CliRunner().invoke(build_cli(), ["depth-mer", "make-synth", str(tmp_path / "out"), "--subjects", "2", "--clips", "2",
                                      "--no-quirks"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["clips"] == 4 and summary["quirks"] == {}
    assert (tmp_path / "out" / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx").is_file()


@pytest.mark.parametrize("name,overrides", [
    ("encoder/pointnet2-ssg", {"npoints": [16, 4], "mlps": [[[8]], [[8]]], "global_mlp": [16]}),
    ("encoder/pointnet2-msg", {"npoints": [16, 4], "global_mlp": [16]}),
    ("encoder/pointnet", {}),
    ("encoder/dgcnn", {"k": 4, "edge_channels": [8, 8], "emb_dims": 16}),
    ("head/motion-classifier", {"in_channels": 16}),
    ("model/depth-mer", {"encoder": SMALL_SSG}),
])
def test_conformance(name, overrides):
    check_component(name, **overrides)


def test_face_box_from_file_or_detector(tmp_path, synth_root):
    root, _ = synth_root
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"not-a-sample": [0, 0, 1, 1]}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelQuirkWarning)
        data = zoo.build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=PIPELINE, subjects=["spNO.2"],
                         boxes_file=str(boxes))
        sample_id = data.items[0]["sample_id"]
        boxes.write_text(json.dumps({sample_id: [10, 12, 50, 70]}))
        boxed = zoo.build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=PIPELINE, subjects=["spNO.2"],
                          boxes_file=str(boxes))
        detected = zoo.build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=PIPELINE,
                             subjects=["spNO.2"], face_crop="detect")
    assert set(data.subjects) == {"spNO.2"}
    assert boxed._box(boxed.items[0]) == [10, 12, 50, 70] and boxed._box(boxed.items[1]) is None
    assert not torch.equal(boxed[0]["points"], data[0]["points"])
    # the Haar detector runs on the onset RGB; its box (or, if none, the whole frame + a report) is used
    box = detected._box(detected.items[0])
    if box is None:
        assert detected.report.of_kind("face_not_detected")[0].sample_id == sample_id
        assert torch.equal(detected[0]["points"], data[0]["points"])
    else:
        assert len(box) == 4 and box[2] > box[0] and box[3] > box[1]
        boxes.write_text(json.dumps({sample_id: box}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LabelQuirkWarning)
            same = zoo.build("dataset/casme3-depth", root=str(root), num_classes=7, pipeline=PIPELINE,
                             subjects=["spNO.2"], boxes_file=str(boxes))
        assert torch.equal(detected[0]["points"], same[0]["points"])
