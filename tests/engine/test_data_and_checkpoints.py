"""Samplers (sharding, resume skip) and checkpoint pruning."""

import torch
from toys import ToyData, build_toy

from zoo.engine import TrainConfig, Trainer
from zoo.engine.checkpointing import list_checkpoints
from zoo.engine.data import ResumableDistributedSampler, ShardSampler, make_loader
from zoo.engine.distributed import DistContext


def _context(rank: int, world: int) -> DistContext:
    return DistContext(rank, world, rank, torch.device("cpu"))


def test_rank_shares_interleave_into_the_single_process_order():
    data = list(range(10))
    single = ResumableDistributedSampler(data, _context(0, 1), shuffle=True, seed=3)
    shares = [ResumableDistributedSampler(data, _context(r, 2), shuffle=True, seed=3) for r in range(2)]
    for sampler in (single, *shares):
        sampler.set_epoch(4)
    order = list(single)
    assert sorted(order) == data
    assert list(shares[0]) == order[0::2] and list(shares[1]) == order[1::2]
    single.set_epoch(5)
    assert list(single) != order  # a new order each epoch


def test_skip_resumes_the_same_order_mid_epoch():
    sampler = ResumableDistributedSampler(list(range(12)), _context(0, 1), shuffle=True, seed=0)
    sampler.set_epoch(1)
    full = list(sampler)
    sampler.skip = 5
    assert list(sampler) == full[5:] and len(sampler) == 7


def test_shard_sampler_covers_every_item_once():
    shards = [list(ShardSampler(7, _context(r, 3))) for r in range(3)]
    assert shards == [[0, 3, 6], [1, 4], [2, 5]]


def test_loader_uses_the_dataset_collate():
    data = ToyData(size=5)
    batch = next(iter(make_loader(data, 2, ShardSampler(5, _context(0, 1)), 0, seed=0)))
    assert set(batch) == {"x", "y"} and batch["x"].shape == (2, 4)


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    config = TrainConfig(epochs=1, batch_size=4, checkpoint_every=2, keep_checkpoints=2, out_dir=str(tmp_path), progress=False)
    Trainer(build_toy(), config, train_data=ToyData(size=32)).fit()  # 8 steps: checkpoints at 2, 4, 6, 8 and epoch end
    names = [p.name for p in list_checkpoints(tmp_path)]
    assert names == ["ckpt-s000000008-e00000-b0000008", "ckpt-s000000008-e00001-b0000000"]


class _WorkerFacts(torch.utils.data.Dataset):
    """Each item reports, from inside the loader worker, its SIGTERM handler and a random draw."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        import signal

        return {"ignores_sigterm": torch.tensor(signal.getsignal(signal.SIGTERM) == signal.SIG_IGN),
                "draw": torch.rand(())}


def test_workers_ignore_sigterm_and_seed_items_by_index_not_by_worker():
    def draws(workers):
        sampler = ResumableDistributedSampler(list(range(4)), _context(0, 1), shuffle=False, seed=0)
        sampler.set_epoch(2)
        return [b for b in make_loader(_WorkerFacts(), 1, sampler, workers, seed=7)]

    one, two = draws(1), draws(2)
    assert all(bool(b["ignores_sigterm"]) for b in one + two)  # the trainer, not the worker, handles SIGTERM
    assert [float(b["draw"]) for b in one] == [float(b["draw"]) for b in two]
    assert len({float(b["draw"]) for b in one}) == 4  # a different seed per item
