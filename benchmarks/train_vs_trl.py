"""Training throughput and peak memory: our Lightning trainer against TRL's `SFTTrainer`, on the same tiny model.

    pip install 'mathcamps[bench]'          # TRL is a benchmark-only extra
    python benchmarks/train_vs_trl.py                       # unpacked, 3 alternating rounds
    python benchmarks/train_vs_trl.py --packing --rounds 1  # both sides packing

Both sides fine-tune the same local random-init Llama (about 8M parameters, built by `trainers.scratch`) on the
same MathCAMPS conversations (those our data module keeps at `--max-seq-len`), with the same batch size,
sequence length, precision (fp32 on CPU), learning rate schedule, thread count and number of steps, the loss on
the replies only. Each run is its own subprocess, so its peak RSS is its own; ours and TRL's alternate, so
drift on a shared machine hits both. Throughput is non-padding tokens per second over the steps after
`--warmup` (start-up, data preparation and the first steps are not timed). Prints one line per run, then the
medians and the ratio.

Both sides run with the same settings, gradient checkpointing included (TRL's SFTConfig turns it on by
default, which costs it speed and saves it memory; `--gradient-checkpointing` turns it on for both). A third
run, a bare PyTorch loop (forward, backward, fused AdamW) over the same examples in the usual layout (a padded
row each, or packed rows), shows what the frameworks cost.

Measured on the 2-core development machine (1 thread each, TRL 1.16, 40 steps, median of 3 rounds, one run;
single runs vary by +-10%, so compare the sides of one run): unpacked, ours 1,864 tokens/s, TRL 1,383, bare loop
1,392 (ours/TRL 1.35x; ours lays each batch's examples into shared rows, `padding_free`, in the fewest slots:
97% of them real tokens, where full-width rows gave 89% and 1.21x), peak RSS 914 vs 1,059 MiB (0.86x); packed
(1 round), ours 1,795, TRL 707, bare 1,789 (2.54x), peak RSS 1,635 vs 1,777 MiB. Earlier, packed with gradient
checkpointing on both (1 round): ours 1,047, TRL 399 (2.63x), peak RSS 1,238 vs 1,492 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STANDARDS = ["K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "2.NBT.B.7", "3.OA.C.7", "4.NBT.B.4"]
TARGET = 1.3  # ours/TRL tokens/s that the medians should reach (issue #19)
MODEL_SIZE = {"vocab_size": 512, "hidden_size": 384, "num_layers": 4, "num_heads": 6, "intermediate_size": 1024,
              "seed": 0}


def build_model(out: Path, per_standard: int, seed: int) -> Path:
    from trainers.data import MathCampsData
    from trainers.scratch import ScratchModel, save_scratch_model

    data = MathCampsData(STANDARDS, per_standard=per_standard, seed=seed)
    return save_scratch_model(out, data.corpus(), ScratchModel(**MODEL_SIZE))


def kept_data(model_dir: Path, args: argparse.Namespace, padding_free: bool = True):
    """Our data module over the benchmark's problems, set up: the examples both sides train on."""
    from trainers.data import MathCampsData
    from trainers.hf import load_tokenizer

    data = MathCampsData(STANDARDS, per_standard=args.per_standard, seed=args.seed, batch_size=args.batch_size,
                         max_seq_len=args.max_seq_len, packing=args.packing, padding_free=padding_free)
    data.set_tokenizer(load_tokenizer(str(model_dir)))
    data.setup("fit")
    return data


class Clock:
    """(time, tokens) after each optimiser step."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []

    def mark(self, tokens: int) -> None:
        self.marks.append((time.perf_counter(), tokens))

    def tokens_per_s(self, warmup: int) -> float:
        (t0, n0), (t1, n1) = self.marks[warmup - 1], self.marks[-1]
        return (n1 - n0) / (t1 - t0)


def run_ours(model_dir: Path, args: argparse.Namespace) -> tuple[float, int]:
    import lightning as L

    from trainers.module import InstructionTuning

    clock = Clock()

    class Timer(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            clock.mark(pl_module.tokens_seen)

    data = kept_data(model_dir, args)
    module = InstructionTuning(str(model_dir), learning_rate=args.lr, warmup_steps=args.warmup, export_hf=False,
                               gradient_checkpointing=args.gradient_checkpointing)
    trainer = L.Trainer(accelerator="cpu", devices=1, precision="32-true", max_steps=args.steps, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=0, callbacks=[Timer()])
    trainer.fit(module, datamodule=data)
    return clock.tokens_per_s(args.warmup), len(clock.marks)


def run_bare(model_dir: Path, args: argparse.Namespace) -> tuple[float, int]:
    """The reference: a plain PyTorch loop (forward, backward, fused AdamW) over the same examples in the usual
    layout, a right-padded row each (or packed rows with --packing), with no framework around it."""
    import torch

    from trainers.hf import load_model
    from trainers.module import NUM_TOKENS, lr_factor

    data = kept_data(model_dir, args, padding_free=False)
    model = load_model(str(model_dir))
    model.train()
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, fused=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, args.warmup, args.steps, 0.1))
    clock, seen = Clock(), 0
    loader = data.train_dataloader()
    for epoch in range(args.steps):  # as many epochs as the steps need
        loader.batch_sampler.set_epoch(epoch)
        for batch in loader:
            seen += int(batch.pop(NUM_TOKENS))
            model(**batch, use_cache=False).loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            clock.mark(seen)
            if len(clock.marks) == args.steps:
                return clock.tokens_per_s(args.warmup), len(clock.marks)
    raise AssertionError("unreachable: every epoch has at least one batch")


def run_trl(model_dir: Path, args: argparse.Namespace) -> tuple[float, int]:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from trainers.data import MathCampsData, encode_example
    from trainers.hf import load_tokenizer

    # The same conversations our data module keeps (it drops, where TRL would truncate, over-long ones).
    tokenizer = load_tokenizer(str(model_dir))
    source = MathCampsData(STANDARDS, per_standard=args.per_standard, seed=args.seed)
    chats = [c for c in source.conversations() if len(encode_example(tokenizer, c)["input_ids"]) <= args.max_seq_len]
    dataset = Dataset.from_list([{"prompt": c[:-1], "completion": c[-1:]} for c in chats])
    clock = Clock()
    seen = [0]

    class Timer(TrainerCallback):
        def on_step_end(self, train_args, state, control, **kwargs):
            clock.mark(seen[0])

    output_dir = tempfile.TemporaryDirectory()  # nothing is saved there (save_strategy "no"); removed on exit
    config = SFTConfig(output_dir=output_dir.name, per_device_train_batch_size=args.batch_size,
                       max_steps=args.steps, learning_rate=args.lr, lr_scheduler_type="cosine",
                       warmup_steps=args.warmup, logging_steps=10_000, save_strategy="no", report_to="none",
                       use_cpu=True, bf16=False, fp16=False, max_length=args.max_seq_len, packing=args.packing,
                       dataloader_num_workers=0, seed=args.seed, disable_tqdm=True,
                       # SFTConfig turns gradient checkpointing on by default; both sides get the same setting.
                       gradient_checkpointing=args.gradient_checkpointing)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[Timer()])
    collate = trainer.data_collator

    def counting(features):
        batch = collate(features)
        mask = batch.get("attention_mask")
        seen[0] += int(mask.sum()) if mask is not None else int(batch["input_ids"].numel())
        return batch

    trainer.data_collator = counting
    trainer.train()
    output_dir.cleanup()
    return clock.tokens_per_s(args.warmup), len(clock.marks)


def child(args: argparse.Namespace) -> None:
    import torch

    torch.manual_seed(args.seed)
    model_dir = Path(args.model_dir)
    tokens_per_s, steps = {"ours": run_ours, "trl": run_trl, "bare": run_bare}[args.side](model_dir, args)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    print("RESULT " + json.dumps({"side": args.side, "tokens_per_s": tokens_per_s, "peak_rss_mib": peak_mib,
                                  "steps": steps}))


def parent(args: argparse.Namespace) -> None:
    import torch  # noqa: F401  (fail early if the environment is broken)
    from transformers import AutoModelForCausalLM

    work = tempfile.TemporaryDirectory(prefix="train_vs_trl-")
    model_dir = build_model(Path(work.name) / "model", args.per_standard, args.seed)
    n_params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(model_dir).parameters())
    print(f"model: Llama, {n_params / 1e6:.1f}M parameters; batch {args.batch_size}, max_seq_len {args.max_seq_len}, "
          f"fp32, {args.steps} steps ({args.warmup} untimed), packing={args.packing}, "
          f"gradient_checkpointing={args.gradient_checkpointing}, "
          f"OMP_NUM_THREADS={args.threads}, {args.rounds} rounds")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), TOKENIZERS_PARALLELISM="false", WANDB_MODE="disabled")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    results: dict[str, list[dict]] = {"ours": [], "trl": [], "bare": []}
    for round_ in range(args.rounds):
        for side in ("ours", "trl", "bare") if round_ % 2 == 0 else ("bare", "trl", "ours"):
            command = [sys.executable, __file__, "--side", side, "--model-dir", str(model_dir),
                       *(a for a in sys.argv[1:] if a not in ("--side",))]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode != 0 or not lines:
                sys.exit(f"{side} run failed:\n{done.stderr[-4000:]}")
            result = json.loads(lines[-1].removeprefix("RESULT "))
            results[side].append(result)
            print(f"round {round_ + 1} {side:>4}: {result['tokens_per_s']:8.0f} tokens/s, "
                  f"peak RSS {result['peak_rss_mib']:6.0f} MiB, {result['steps']} steps")
    median = {s: statistics.median(r["tokens_per_s"] for r in rs) for s, rs in results.items()}
    peak = {s: statistics.median(r["peak_rss_mib"] for r in rs) for s, rs in results.items()}
    print(f"median tokens/s: ours {median['ours']:.0f}, TRL {median['trl']:.0f}, bare loop {median['bare']:.0f}; "
          f"ours/TRL {median['ours'] / median['trl']:.2f}x, ours/bare {median['ours'] / median['bare']:.2f}x")
    print(f"median peak RSS: ours {peak['ours']:.0f} MiB, TRL {peak['trl']:.0f} MiB, bare loop {peak['bare']:.0f} MiB; "
          f"ours/TRL {peak['ours'] / peak['trl']:.2f}x")
    met = median["ours"] >= TARGET * median["trl"] and peak["ours"] <= peak["trl"]
    print(f"target: ours/TRL >= {TARGET:.2f}x tokens/s, peak RSS no higher than TRL's: {'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5, help="steps not timed (and the lr warm-up)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-seq-len", type=int, default=256)
    parser.add_argument("--per-standard", type=int, default=300)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--packing", action="store_true")
    parser.add_argument("--gradient-checkpointing", action="store_true",
                        help="recompute activations in the backward pass, on both sides (TRL's default; ours is off)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--side", choices=["ours", "trl", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warmup < 1 or args.steps <= args.warmup:
        parser.error(f"--steps must exceed --warmup >= 1, got {args.steps} and {args.warmup}")
    child(args) if args.side else parent(args)


if __name__ == "__main__":
    main()
