"""Worker script: train the toy model (used by the kill/resume and torchrun tests).

Usage: python run_toy.py OUT_DIR [--resume] [--batch-size N] [--accumulate A] [--precision P] [--strategy S] [--zero-stage Z]
                          [--grad-clip G]                          [--sleep S] [--micro-sleep S] [--epochs E]
Prints ``step N`` after every optimizer step (and ``micro N`` after every micro-batch's forward
with ``--micro-sleep``) and saves the final weights to ``OUT_DIR/final-rank<r>.safetensors``.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from toys import ToyData, build_toy  # noqa: E402

from zoo.engine import TrainConfig, Trainer  # noqa: E402
from zoo.engine.distributed import teardown_distributed  # noqa: E402

# The configuration both the interrupted and the uninterrupted runs use.
RUN = dict(epochs=3, lr=0.05, seed=5, deterministic=True, checkpoint_every=2, scheduler="cosine", progress=False)
DATA = dict(size=36, noise=0.1)
# An odd size: sharding it over 2 ranks must not count any sample twice.
EVAL_DATA = dict(size=21, seed=3, noise=0.0)


def _reporting(training_step, seconds: float):
    micro = [0]

    def step(batch):
        losses = training_step(batch)
        micro[0] += 1
        sys.stdout.write(f"micro {micro[0]}\n")
        sys.stdout.flush()
        time.sleep(seconds)
        return losses

    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--accumulate", type=int, default=1)
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--strategy", default="ddp")
    parser.add_argument("--zero-stage", type=int, default=2)
    parser.add_argument("--grad-clip", type=float, default=None)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--micro-sleep", type=float, default=None, help="print 'micro N' and sleep per micro-batch")
    parser.add_argument("--epochs", type=int, default=RUN["epochs"])
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--noise", type=float, default=DATA["noise"])
    parser.add_argument("--eval-metric", default=None, help="evaluate with this metric; print 'eval <json>'")
    args = parser.parse_args()
    torch.set_num_threads(1)

    def report(trainer, losses):
        # One write per line: the ranks under torchrun share the pipe, and print() writes the
        # text and the newline separately, which lets lines of two processes interleave.
        sys.stdout.write(f"step {trainer.position.step}\n")
        sys.stdout.flush()
        time.sleep(args.sleep)

    settings = {"epochs": args.epochs, "batch_size": args.batch_size, "accumulate": args.accumulate, "precision": args.precision, "strategy": args.strategy, "zero_stage": args.zero_stage, "grad_clip": args.grad_clip}
    config = TrainConfig(**{**RUN, **settings, "out_dir": args.out_dir})
    model = build_toy(dropout=args.dropout)
    if args.micro_sleep is not None:
        model.training_step = _reporting(model.training_step, args.micro_sleep)
    train_data = ToyData(**{**DATA, "noise": args.noise})
    trainer = Trainer(model, config, train_data=train_data, hooks=[report])
    trainer.fit(resume=args.resume)
    rank = int(os.environ.get("RANK", "0"))
    if args.eval_metric:
        model.metric = args.eval_metric
        sys.stdout.write("eval " + json.dumps(trainer.evaluate(ToyData(**EVAL_DATA))) + "\n")
        sys.stdout.flush()
    save_file({k: v.contiguous() for k, v in trainer.model.state_dict().items()}, f"{args.out_dir}/final-rank{rank}.safetensors")
    teardown_distributed()


if __name__ == "__main__":
    main()
