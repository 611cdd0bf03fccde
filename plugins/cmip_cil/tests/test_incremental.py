"""The class-incremental runner and every method on an 'oracle' backbone (aligned modalities)."""

import types

import numpy as np
import pytest
import torch

import zoo
from zoo.sdk import ConfigError
from zoo_cmip_cil.baselines import METHODS, LSCHead, nca, pod_spatial
from zoo_cmip_cil.incremental import (
    IncrementalConfig, IncrementalData, frozen_embeddings, herding, plot_stage_accuracy, run_incremental,
)

NUM_CLASSES, DIM = 6, 16


def _class_codes():
    return torch.nn.functional.normalize(torch.randn(NUM_CLASSES, DIM, generator=torch.Generator().manual_seed(0)), dim=-1)


@pytest.fixture(scope="module")
def oracle_model(tiny_parts):
    """A tiny CMIP-CIL whose frozen encoders map class c (written into the inputs) to a fixed code.

    Both modalities land on the same per-class code plus noise, as a perfect cross-modal
    pre-training would: the runner's bookkeeping is then the only thing under test.
    """
    model = zoo.build("model/cmip-cil", **tiny_parts)
    codes = _class_codes()

    def noise(n, seed):
        return 0.05 * torch.randn(n, DIM, generator=torch.Generator().manual_seed(seed))

    def embed_views(self, views):
        return codes[views[:, 0, 0, 0, 0].long()] + noise(len(views), int(views.sum()))

    def embed_points(self, points):
        return codes[points[:, 0, 0].round().long()] + noise(len(points), int(points.sum()))

    model.embed_views = types.MethodType(embed_views, model)
    model.embed_points = types.MethodType(embed_points, model)
    return model


def _data(per_class):
    labels = [c for c in range(NUM_CLASSES) for _ in range(per_class)]
    views = [torch.full((1, 2, 2, 3), c, dtype=torch.uint8) for c in labels]
    points = [torch.full((8, 3), float(c)) for c in labels]
    return IncrementalData(train_labels=labels, views=views, test_points=points, test_labels=labels)


_RUNS: dict = {}


def _run(model, method, data=None, fresh=False, **overrides):
    """One run on the default data (cached per method and settings: runs are deterministic, see below)."""
    settings = {"base": 2, "increment": 2, "epochs": 10, "batch_size": 4, "exemplars_per_class": 2, **overrides}
    key = (id(model), method, tuple(sorted(settings.items())))
    if data is not None or fresh or key not in _RUNS:
        outcome = run_incremental(model, data or _data(6), NUM_CLASSES, IncrementalConfig(**settings), method)
        if data is not None or fresh:
            return outcome
        _RUNS[key] = outcome
    return _RUNS[key]


def test_herding_picks_the_sample_closest_to_the_mean_first():
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert herding(feats, 2)[0] == 2
    assert sorted(herding(feats, 5)) == [0, 1, 2]  # never more than the class has


def test_simplecil_with_aligned_modalities_is_perfect(oracle_model):
    result, model = _run(oracle_model, "simplecil")
    assert result["A_B"] == 1.0 and result["forgetting"] == 0.0
    assert len(result["accuracy_matrix"]) == 3 and result["accuracy_matrix"][0][1] is None
    assert model.classifier.num_classes == NUM_CLASSES
    assert oracle_model.classifier.num_classes == 0  # the caller's model is left untouched


def test_class_order_is_seeded_1993(oracle_model):
    result, _ = _run(oracle_model, "simplecil")
    order = np.random.default_rng(1993).permutation(NUM_CLASSES).tolist()
    assert result["tasks"] == [order[:2], order[2:4], order[4:]]


@pytest.mark.parametrize("method", ["cmip-cil", "icarl", "wa", "podnet"])
def test_replaying_methods_keep_old_classes_with_aligned_modalities(oracle_model, method):
    result, _ = _run(oracle_model, method, epochs=40)  # the paper's epochs: linear heads learn slower
    assert result["A_B"] >= 0.8, result
    assert result["method"] == method


def test_finetune_forgets_what_cmip_cil_keeps(oracle_model):
    cmip, _ = _run(oracle_model, "cmip-cil", epochs=40)
    finetune, _ = _run(oracle_model, "finetune", epochs=40)
    assert finetune["forgetting"] > cmip["forgetting"]
    assert finetune["A_B"] < cmip["A_B"]


def test_runs_are_deterministic(oracle_model):
    first, a = _run(oracle_model, "cmip-cil", fresh=True)
    second, b = _run(oracle_model, "cmip-cil", fresh=True)
    assert first == second
    assert torch.equal(a.classifier.weight, b.classifier.weight)


def test_frozen_embeddings_are_shared_and_give_the_same_result(oracle_model):
    data = _data(6)
    cached = frozen_embeddings(oracle_model, data)
    assert cached.image.shape == (36, DIM) and cached.test_embedding.shape == (36, DIM)
    assert _run(oracle_model, "icarl", cached)[0] == _run(oracle_model, "icarl", data)[0]


def test_exemplar_free_setting(oracle_model, tmp_path):
    free, _ = _run(oracle_model, "cmip-cil", exemplars_per_class=0)
    assert free["A_B"] >= 0.5
    with pytest.raises(ConfigError, match="icarl replays exemplars"):
        _run(oracle_model, "icarl", exemplars_per_class=0)
    plot_stage_accuracy([free], str(tmp_path / "plot.png"), "test")
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_unknown_method_is_a_config_error(oracle_model):
    with pytest.raises(ConfigError, match="choose from"):
        _run(oracle_model, "lwf")
    assert METHODS[0] == "cmip-cil" and len(METHODS) == 6


def test_merge_remainder_gives_the_sn55_split(oracle_model):
    data = _data(2)
    result, _ = run_incremental(oracle_model, data, NUM_CLASSES, IncrementalConfig(base=2, increment=4, merge_remainder=True),
                                "simplecil")
    assert [len(t) for t in result["tasks"]] == [2, 4]
    result, _ = run_incremental(oracle_model, data, NUM_CLASSES, IncrementalConfig(base=1, increment=2, merge_remainder=True),
                                "simplecil")
    assert [len(t) for t in result["tasks"]] == [1, 2, 3]  # 1 + 2 + 2 + 1 -> last two merged


def test_nca_matches_pycil_by_hand():
    logits, labels = torch.tensor([[2.0, 1.0, 0.0]]), torch.tensor([1])
    # PyCIL: shift by the margin (cancels), subtract the row max, zero the positive in the denominator.
    shifted = logits - 0.6 - (2.0 - 0.6)
    expected = -(shifted[0, 1] - torch.log(torch.exp(shifted[0, 0]) + 1 + torch.exp(shifted[0, 2])))
    assert torch.isclose(nca(logits, labels), expected)


def test_pod_spatial_is_zero_for_equal_activations_and_scale_free():
    a = torch.rand(3, 5)
    assert pod_spatial(a, a) == 0
    assert torch.isclose(pod_spatial(a, 2 * a), torch.tensor(0.0), atol=1e-6)
    assert pod_spatial(a, torch.rand(3, 5)) > 0


def test_lsc_head_freezes_old_proxies():
    head = LSCHead(4, proxies=3)
    head.add_classes(2)
    first = head.new.detach().clone()
    head.add_classes(1)
    assert torch.equal(head.old, first) and head.new.shape == (3, 4)
    assert head(torch.randn(5, 4)).shape == (5, 3)
    assert [n for n, p in head.named_parameters()] == ["new", "sigma"]
