import copy
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: A CMIP-CIL small enough for unit tests (same modules, tiny widths, image backbone from random init).
TINY = {
    "point_encoder": {"name": "encoder/dgcnn", "config": {"k": 4, "edge_channels": [8, 8], "emb_dims": 16}},
    "image_encoder": {"name": "encoder/resnet50-views", "config": {"backbone": "lcnet_050", "pretrained": False}},
    "point_head": {"name": "head/projection", "config": {"hidden_dim": 16}},
    "image_head": {"name": "head/projection", "config": {"hidden_dim": 16}},
    "adapter": {"name": "head/adapter", "config": {"bottleneck": 8}},
    "embed_dim": 16,
}


#: Overrides that shrink cmip-cil-mn40 to a unit-test size: tiny parts, 16x16 renders, 64 points,
#: 1 masked copy per object, 1 pre-training epoch, 14 classes as 6 + 4 + 4, 1 epoch per task.
TINY_RUN = [
    'model.point_encoder={"name": "encoder/dgcnn", "config": {"k": 4, "edge_channels": [8, 8], "emb_dims": 16}}',
    'model.image_encoder={"name": "encoder/resnet50-views", "config": {"backbone": "lcnet_050", "pretrained": false}}',
    'model.point_head={"name": "head/projection", "config": {"hidden_dim": 16}}',
    'model.image_head={"name": "head/projection", "config": {"hidden_dim": 16}}',
    'model.adapter={"name": "head/adapter", "config": {"bottleneck": 8}}',
    "model.embed_dim=16", "model.temperature=0.1",
    "dataset.image_size=16", "dataset.num_points=64", "dataset.masked_variants=1",
    "eval_dataset.num_points=64",
    "train.epochs=1", "train.batch_size=8", "train.optimizer=adamw", "train.lr=1e-3", "train.progress=false",
    "train.num_workers=0",
    "stages.incremental.base=6", "stages.incremental.increment=4", "stages.incremental.epochs=1",
    "stages.incremental.exemplars_per_class=1", "stages.incremental.batch_size=8",
]


@pytest.fixture(scope="session")
def tiny_run():
    """TINY_RUN (a fresh copy per session)."""
    return list(TINY_RUN)


@pytest.fixture(scope="session")
def tiny_parts():
    """The TINY model config (a fresh copy per session; module fixtures may use it)."""
    return copy.deepcopy(TINY)


@pytest.fixture
def tiny_config():
    return copy.deepcopy(TINY)


@pytest.fixture(autouse=True)
def _mesa_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MESA_SHADER_CACHE_DIR", str(tmp_path / "mesa"))
