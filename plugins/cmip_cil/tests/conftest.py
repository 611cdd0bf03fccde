import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: A CMIP-CIL small enough for unit tests (same modules, tiny widths).
TINY = {
    "point_encoder": {"name": "encoder/dgcnn", "config": {"k": 4, "edge_channels": [8, 8], "emb_dims": 16}},
    "image_encoder": {"name": "encoder/resnet50-views", "config": {"backbone": "lcnet_050"}},
    "point_head": {"name": "head/projection", "config": {"hidden_dim": 16}},
    "image_head": {"name": "head/projection", "config": {"hidden_dim": 16}},
    "adapter": {"name": "head/adapter", "config": {"bottleneck": 8}},
    "embed_dim": 16,
}


@pytest.fixture
def tiny_config():
    import copy

    return copy.deepcopy(TINY)
