"""Resume after a hard kill: `python -m trainers.fit` is SIGKILLed after a checkpoint, restarted with
`--ckpt_path last`, and its loss curve matches an uninterrupted run's (optimizer, scheduler, data position
and RNG state all restored)."""


import pytest

from tests.trainers.fitting import kill_after_first_checkpoint, logged, run_fit, tiny_run_config
from trainers.fit import main

MAX_STEPS, EVERY = 30, 5


def check_resume_matches(tmp_path, tiny_model_dir, model: dict, data: dict | None = None) -> None:
    kwargs = {"max_steps": MAX_STEPS, "every_n_steps": EVERY, "model": model, "data": data}
    whole = tiny_run_config(tmp_path, tiny_model_dir, name="whole", **kwargs)
    broken = tiny_run_config(tmp_path, tiny_model_dir, name="broken", **kwargs)
    main(["--config", str(whole)])  # in this process: the reference needs no kill, and saves a start-up
    resumed_from = kill_after_first_checkpoint(broken, tmp_path / "broken")
    assert resumed_from < MAX_STEPS, "the run finished before it was killed, so nothing was resumed"
    run_fit(broken, "--ckpt_path", "last")

    expected = logged(tmp_path / "whole", "train/loss")
    resumed = logged(tmp_path / "broken", "train/loss", version=1)
    # The resumed run (a new version directory) logs exactly the steps after its checkpoint, with the same losses.
    assert sorted(resumed) == list(range(resumed_from, MAX_STEPS))
    assert [resumed[s] for s in sorted(resumed)] == pytest.approx([expected[s] for s in sorted(resumed)], abs=1e-4)
    lr_expected, lr_resumed = logged(tmp_path / "whole", "train/lr"), logged(tmp_path / "broken", "train/lr", 1)
    assert [lr_resumed[s] for s in sorted(resumed)] == pytest.approx([lr_expected[s] for s in sorted(resumed)])
    tokens = logged(tmp_path / "broken", "train/tokens_seen", 1)
    assert tokens[MAX_STEPS - 1] == logged(tmp_path / "whole", "train/tokens_seen")[MAX_STEPS - 1]


def test_full_finetuning_resumes_after_sigkill_with_the_same_loss_curve(tmp_path, tiny_model_dir):
    # Several epochs (about 10 batches each), so the resume lands mid-epoch and crosses epoch boundaries.
    check_resume_matches(tmp_path, tiny_model_dir, model={"finetuning": "full"})


@pytest.mark.slow
def test_lora_resumes_after_sigkill_with_the_same_loss_curve(tmp_path, tiny_model_dir):
    # LoRA dropout draws random numbers at every step, so this also checks the RNG state is restored.
    check_resume_matches(tmp_path, tiny_model_dir, model={"finetuning": "lora", "lora": {"r": 4, "dropout": 0.1}},
                         data={"packing": True})
