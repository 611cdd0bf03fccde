import types

import numpy as np
import pytest
import torch

import zoo
from zoo_cmip_cil.incremental import IncrementalConfig, herding, plot_stage_accuracy, run_incremental

NUM_CLASSES, DIM = 6, 16


def _class_codes():
    return torch.nn.functional.normalize(torch.randn(NUM_CLASSES, DIM, generator=torch.Generator().manual_seed(0)), dim=-1)


@pytest.fixture(scope="module")
def oracle_model():
    """A tiny CMIP-CIL whose frozen encoders map class c (written into the inputs) to a fixed code.

    Both modalities land on the same per-class code plus noise, as a perfect cross-modal
    pre-training would: the runner's bookkeeping is then the only thing under test.
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import TINY

    model = zoo.build("model/cmip-cil", **TINY)
    codes = _class_codes()

    def embed_views(self, views):
        return codes[views[:, 0, 0, 0, 0].long()] + 0.05 * torch.randn(len(views), DIM)

    def embed_points(self, points):
        return codes[points[:, 0, 0].round().long()] + 0.05 * torch.randn(len(points), DIM)

    model.embed_views = types.MethodType(embed_views, model)
    model.embed_points = types.MethodType(embed_points, model)
    return model


def _data(per_class):
    labels = [c for c in range(NUM_CLASSES) for _ in range(per_class)]
    views = [torch.full((1, 2, 2, 3), c, dtype=torch.uint8) for c in labels]
    points = [torch.full((8, 3), float(c)) for c in labels]
    return views, points, labels


def _run(model, method, **overrides):
    torch.manual_seed(0)
    views, points, labels = _data(6)
    settings = {"base": 2, "increment": 2, "epochs": 10, "batch_size": 4, "exemplars_per_class": 2, **overrides}
    cfg = IncrementalConfig(method=method, **settings)
    return run_incremental(model, views, labels, points, labels, NUM_CLASSES, cfg)


def test_herding_picks_the_sample_closest_to_the_mean_first():
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert herding(feats, 2)[0] == 2
    assert sorted(herding(feats, 5)) == [0, 1, 2]  # never more than the class has


def test_simplecil_with_aligned_modalities_is_perfect(oracle_model):
    result, model = _run(oracle_model, "simplecil")
    assert result["A_B"] == 1.0 and result["forgetting"] == 0.0
    assert len(result["accuracy_matrix"]) == 3 and result["accuracy_matrix"][0][1] is None
    assert model.classifier.num_classes == NUM_CLASSES
    assert oracle_model.adapter is not None  # the caller's model is left untouched


def test_class_order_is_seeded_1993(oracle_model):
    result, _ = _run(oracle_model, "simplecil")
    order = np.random.default_rng(1993).permutation(NUM_CLASSES).tolist()
    assert result["tasks"] == [order[:2], order[2:4], order[4:]]


def test_cmip_cil_keeps_old_classes_and_finetune_forgets(oracle_model):
    cmip, _ = _run(oracle_model, "cmip-cil")
    finetune, _ = _run(oracle_model, "finetune")
    assert cmip["A_B"] >= 0.9
    assert finetune["forgetting"] > cmip["forgetting"]
    assert finetune["A_B"] < cmip["A_B"]


def test_icarl_nme_and_exemplar_free(oracle_model, tmp_path):
    nme, _ = _run(oracle_model, "icarl-nme")
    free, _ = _run(oracle_model, "cmip-cil", exemplars_per_class=0)
    assert nme["A_B"] >= 0.9 and free["A_B"] >= 0.5
    plot_stage_accuracy([nme, free], str(tmp_path / "plot.png"), "test")
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_merge_remainder_gives_the_sn55_split(oracle_model):
    views, points, labels = _data(2)
    cfg = IncrementalConfig(method="simplecil", base=2, increment=4, merge_remainder=True)
    result, _ = run_incremental(oracle_model, views, labels, points, labels, NUM_CLASSES, cfg)
    assert [len(t) for t in result["tasks"]] == [2, 4]
    cfg = IncrementalConfig(method="simplecil", base=1, increment=2, merge_remainder=True)
    result, _ = run_incremental(oracle_model, views, labels, points, labels, NUM_CLASSES, cfg)
    assert [len(t) for t in result["tasks"]] == [1, 2, 3]  # 1 + 2 + 2 + 1 -> last two merged
