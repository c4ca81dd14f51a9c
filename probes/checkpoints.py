"""Which checkpoints to evaluate, and each one loaded as (model in eval mode, tokenizer).

Every kind of checkpoint that `trainers.fit` writes, and hub models:
- a Lightning checkpoint (`checkpoints/*.ckpt`) of a full or a LoRA run. The model is rebuilt as training built
  it, by `trainers.module.InstructionTuning` from the hyper-parameters the checkpoint holds (on the run's base
  model), and the checkpoint's state dict, LoRA adapter and all, is loaded into it;
- an HF export (`hf/step-N/`: `config.json` and weights) or a merged one (`hf/step-N/merged/`), loaded with
  `from_pretrained`;
- an adapter export (`adapter_config.json` and no `config.json`), loaded with peft's `PeftModel.from_pretrained`
  on its base model: the one given, else `adapter_config.json`'s `base_model_name_or_path`;
- a hub model at a revision.

Steps come from the checkpoint itself: a `.ckpt`'s `global_step`, an export's `trainer_state.json` (`global_step`
and `num_input_tokens_seen`, the file HF's Trainer writes beside its checkpoints; for `merged/`, the file of the
export it sits in). Only an export without one falls back to `step_pattern`, a regex searched in its folder's
name (for `merged/`, the export's). A checkpoint that cannot be read (an empty, truncated or garbled file, an
export without its weights or tokenizer) raises `UnreadableCheckpoint`, which names its path, so that a sweep
can report it, skip it and evaluate the rest.
"""

from __future__ import annotations

import glob
import hashlib
import json
import pickle
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from safetensors import SafetensorError

# torch, transformers and lightning load inside the functions that load weights, so that resolving a sweep's
# checkpoints and a CLI's --help start at once.

Kind = Literal["hf", "adapter", "lightning"]
STATE_FILE = "trainer_state.json"  # as `trainers.export.STATE_FILE` writes it (imported there with torch)
"""An export's step, as HF's Trainer writes it: `{"global_step": N, "num_input_tokens_seen": T}`."""
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
# What reading a damaged file raises: torch (zip, pickle, mmap), safetensors, json, and missing keys.
_READ_ERRORS = (OSError, RuntimeError, ValueError, EOFError, KeyError, TypeError, pickle.UnpicklingError,
                SafetensorError)


class UnreadableCheckpoint(ValueError):
    """A checkpoint that cannot be read or loaded; the message is `PATH: why`, on one line."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


# -- where checkpoints come from (the sweep config's `hub`, `local` and `runs`) ---------------------------------


@dataclass
class StepRange:
    """Steps `start, start + every, ...` up to and including `stop`."""

    start: int
    stop: int
    every: int


@dataclass
class HubRevisions:
    """Revisions of one hub model, e.g. Pythia's `step1000` ... `step143000` branches."""

    repo: str
    """Hub id, e.g. EleutherAI/pythia-160m."""
    revisions: list[str] = field(default_factory=list)
    """Revision names (branches, tags or commits)."""
    steps: StepRange | None = None
    """Adds one revision per step, named by `revision_format`."""
    revision_format: str = "step{step}"
    """Revision name of a step in `steps`."""
    step_pattern: str = r"(\d+)"
    """Regex whose first group, searched in a revision name, is its training step."""
    tokens_per_step: int | None = None
    """Training tokens per step (Pythia: 2097152), to report token counts."""


@dataclass
class LocalGlob:
    """Local checkpoints matching a glob: HF, merged or adapter exports (e.g. `runs/x/version_0/hf/step-*`,
    `runs/x/version_0/hf/step-*/merged`) or Lightning `.ckpt` files."""

    glob: str
    step_pattern: str = r"(\d+)"
    """Regex whose first group, searched in a folder's name (its last match), is its step; only for an export
    without `trainer_state.json`."""
    tokens_per_step: int | None = None
    base_model: str | None = None
    """Base model of adapter exports and `.ckpt` files (default: an adapter's `base_model_name_or_path`, a
    `.ckpt`'s run config)."""


@dataclass
class RunCheckpoints:
    """The Lightning checkpoints (`checkpoints/*.ckpt`) of a `trainers.fit` run, loaded into the run's model."""

    run_dir: str
    """The run's log directory (e.g. runs/quickstart/version_0), or its root (runs/quickstart) to gather every
    version_N/ of a resumed run."""
    base_model: str | None = None
    """HF directory or hub id whose config and tokenizer the checkpoints fit (default: `model.model` in the
    run's config.yaml)."""


@dataclass(frozen=True)
class Checkpoint:
    """One model to evaluate: a hub revision, a local HF directory, an adapter export, or a Lightning `.ckpt`."""

    name: str
    step: int
    model: str
    """Hub id, or the path of the directory or `.ckpt` file."""
    revision: str | None = None
    """Hub revision of `model` (kind hf), or of `base` (adapter, lightning)."""
    base: str | None = None
    """For an adapter or a `.ckpt`: the HF model its weights fit."""
    tokens: int | None = None
    kind: Kind = "hf"

    @property
    def key(self) -> str:
        """File-safe and unique: the name plus a hash of where the weights come from."""
        hub = self.kind == "hf" and self.revision is not None
        digest = hashlib.sha1(f"{self.model if hub else Path(self.model).resolve()}|{self.revision}".encode())
        return re.sub(r"[^A-Za-z0-9._=-]+", "_", self.name)[:80] + "-" + digest.hexdigest()[:8]


# -- what a path holds -------------------------------------------------------------------------------------------


def kind_of(path: Path) -> Kind | None:
    """What kind of checkpoint `path` holds, or None when it is none (a hub id, or another folder)."""
    if path.is_file() and path.suffix == ".ckpt":
        return "lightning"
    if (path / "config.json").is_file():
        return "hf"
    if (path / "adapter_config.json").is_file():
        return "adapter"
    return None


def _why(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


def _read_lightning(path: Path) -> dict[str, Any]:
    """The checkpoint's dict, its tensors memory-mapped (cheap: nothing is copied until used)."""
    if path.stat().st_size == 0:
        raise UnreadableCheckpoint(path, "empty file")
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    except _READ_ERRORS as error:
        raise UnreadableCheckpoint(path, f"not a readable checkpoint ({_why(error)})") from None
    missing = [k for k in ("global_step", "state_dict", "pytorch-lightning_version")
               if not isinstance(state, dict) or k not in state]
    if missing:
        raise UnreadableCheckpoint(path, f"not a Lightning checkpoint (no {', '.join(missing)})")
    return state


def _relative_to_training(model: str, config: Path, root_dir: str | None) -> str:
    # A relative path is relative to where training ran: the folder that held `trainer.default_root_dir`,
    # which the run's version_N/ sits in. Only when that does not fit, fall back to the current directory.
    if Path(model).is_absolute():
        return model
    run_root = config.resolve().parent.parent  # <cwd>/<default_root_dir>
    root = Path(root_dir or ".")
    candidates = [Path(model)]
    if run_root.parts[-len(root.parts):] == root.parts:
        candidates.insert(0, Path(*run_root.parts[: len(run_root.parts) - len(root.parts)]) / model)
    return str(next((c for c in candidates if (c / "config.json").is_file()), Path(model)))


def run_base_model(run_dir: Path) -> tuple[str, str | None] | None:
    """(model, revision) that a `trainers.fit` run tuned, from the config.yaml it saved; None without one."""
    import yaml

    found = [run_dir / "config.yaml", *sorted(run_dir.glob("version_*/config.yaml"))]
    config = next((c for c in found if c.is_file()), None)
    if config is None:
        return None
    saved = yaml.safe_load(config.read_text())
    model = saved.get("model") or {}
    if "model" not in model:
        return None
    root_dir = (saved.get("trainer") or {}).get("default_root_dir")
    return _relative_to_training(model["model"], config, root_dir), model.get("revision")


def _lightning_checkpoint(path: Path, base_model: str | None, run: str | None) -> Checkpoint:
    state = _read_lightning(path)
    if base_model is not None:
        base: tuple[str, str | None] | None = (base_model, None)
    else:  # the config.yaml of the run version the file sits in (<version>/checkpoints/x.ckpt)
        saved = state.get("hyper_parameters") or {}
        base = run_base_model(path.parent.parent) or (
            (saved["model"], saved.get("revision")) if "model" in saved else None)
    if base is None:
        raise UnreadableCheckpoint(path, "no base model: its run has no config.yaml and it holds no "
                                   "hyper_parameters; set base_model")
    step = int(state["global_step"])
    name = path.stem if run is None else f"{run}-step{step}"
    return Checkpoint(name, step, str(path), base[1], base[0], state.get("tokens_seen"), "lightning")


def _export_step(path: Path, step_pattern: str | None, where: str) -> tuple[int, int | None]:
    """(step, tokens) of an export, from its `trainer_state.json`, else `step_pattern` in its folder's name."""
    merged = path.name == "merged"
    for folder in (path, path.parent) if merged else (path,):
        state_file = folder / STATE_FILE
        if state_file.is_file():
            try:
                state = json.loads(state_file.read_text())
                return int(state["global_step"]), state.get("num_input_tokens_seen")
            except _READ_ERRORS as error:
                raise UnreadableCheckpoint(state_file, f"no global_step ({_why(error)})") from None
    if step_pattern is None:
        return 0, None
    name = path.parent.name if merged else path.name
    found = re.findall(step_pattern, name)
    if not found:
        raise UnreadableCheckpoint(path, f"{where}: no {STATE_FILE} and no step in {name!r} "
                                   f"(step_pattern {step_pattern!r} does not match)")
    last = found[-1]
    return int(last[0] if isinstance(last, tuple) else last), None


def local_checkpoint(path: Path, kind: Kind, base_model: str | None = None, step_pattern: str | None = None,
                     where: str = "", run: str | None = None) -> Checkpoint:
    """The checkpoint at `path`, its step read from itself (0 for an export without any, when no
    `step_pattern` is given); raises `UnreadableCheckpoint` for a damaged or incomplete one.

    A `.ckpt` of the run named `run` is named `<run>-step<N>`; any other checkpoint after its file or folder.
    """
    if kind == "lightning":
        return _lightning_checkpoint(path, base_model, run)
    weights = ADAPTER_WEIGHTS if kind == "adapter" else WEIGHTS
    if not any((path / w).is_file() for w in weights):
        raise UnreadableCheckpoint(path, f"incomplete export: none of {', '.join(weights)}")
    if kind == "hf" and not (path / "tokenizer_config.json").is_file():
        raise UnreadableCheckpoint(path, "incomplete export: no tokenizer_config.json")
    step, tokens = _export_step(path, step_pattern, where)
    label = f"{path.parent.name}-merged" if path.name == "merged" else path.name
    if kind == "hf":
        return Checkpoint(label, step, str(path), tokens=tokens)
    try:
        adapter = json.loads((path / "adapter_config.json").read_text())
    except _READ_ERRORS as error:
        raise UnreadableCheckpoint(path / "adapter_config.json", _why(error)) from None
    base = base_model or adapter.get("base_model_name_or_path")
    if not base:
        raise UnreadableCheckpoint(path, "adapter_config.json names no base_model_name_or_path; set base_model")
    return Checkpoint(label, step, str(path), None if base_model else adapter.get("revision"), base, tokens,
                      "adapter")


def checkpoint_at(model: str, revision: str | None = None, base_model: str | None = None) -> Checkpoint:
    """What a `--model` argument names: a local checkpoint of any kind, or else a hub id (at `revision`)."""
    kind = kind_of(Path(model))
    if kind is None:
        return Checkpoint(Path(model).name or model, 0, model, revision)
    if revision is not None:
        raise ValueError(f"--revision {revision!r} is for hub models; {model} is a local {kind} checkpoint")
    return local_checkpoint(Path(model), kind, base_model)


# -- resolving a sweep's checkpoints -------------------------------------------------------------------------


def _hub(i: int, h: HubRevisions) -> list[Checkpoint]:
    revisions = list(h.revisions)
    if h.steps:
        revisions += [h.revision_format.format(step=s) for s in range(h.steps.start, h.steps.stop + 1, h.steps.every)]
    out = []
    for rev in revisions:
        found = re.findall(h.step_pattern, rev)
        if not found:
            raise ValueError(f"hub[{i}]: no step in {rev!r} (step_pattern {h.step_pattern!r} does not match)")
        step = int(found[-1][0] if isinstance(found[-1], tuple) else found[-1])
        tokens = step * h.tokens_per_step if h.tokens_per_step else None
        out.append(Checkpoint(f"{h.repo.split('/')[-1]}@{rev}", step, h.repo, rev, tokens=tokens))
    return out


def _version(name: str) -> int:
    return int(name.removeprefix("version_")) if name.removeprefix("version_").isdigit() else -1


def _is_last(c: Checkpoint) -> bool:
    return Path(c.model).name.startswith("last")


def resolve(hub: list[HubRevisions], local: list[LocalGlob], runs: list[RunCheckpoints],
            skipped: list[UnreadableCheckpoint] | None = None) -> list[Checkpoint]:
    """Every checkpoint named, in config order (each glob and run ordered by step), without duplicates.

    An unreadable checkpoint is left out and added to `skipped` when given; without it, the first one raises.
    """

    def read(path: Path, kind: Kind, **how: Any) -> Checkpoint | None:
        try:
            return local_checkpoint(path, kind, **how)
        except UnreadableCheckpoint as error:
            if skipped is None:
                raise
            skipped.append(error)
            return None

    out = [c for i, h in enumerate(hub) for c in _hub(i, h)]
    for i, g in enumerate(local):
        paths = [(Path(p), kind_of(Path(p))) for p in sorted(glob.glob(g.glob))]
        if not any(kind for _, kind in paths):
            raise FileNotFoundError(f"local[{i}].glob {g.glob!r} matches no checkpoint (HF, merged or adapter "
                                    "export, or .ckpt file)")
        found = [read(p, kind, base_model=g.base_model, step_pattern=g.step_pattern, where=f"local[{i}]")
                 for p, kind in paths if kind]
        for c in sorted((c for c in found if c), key=lambda c: c.step):
            if c.tokens is None and g.tokens_per_step:
                c = replace(c, tokens=c.step * g.tokens_per_step)
            out.append(c)
    for i, run in enumerate(runs):
        # A resumed run writes a new version_N/ beside the first: a Lightning root gathers all of them.
        root = Path(run.run_dir)
        ckpts = sorted(root.glob("checkpoints/*.ckpt")) or sorted(
            root.glob("version_*/checkpoints/*.ckpt"), key=lambda p: (_version(p.parents[1].name), p.name))
        if not ckpts:
            raise FileNotFoundError(f"runs[{i}].run_dir {run.run_dir!r} holds no checkpoints/*.ckpt "
                                    "(nor version_*/checkpoints/*.ckpt)")
        by_step: dict[int, Checkpoint] = {}
        for path in ckpts:
            c = read(path, "lightning", base_model=run.base_model, run=root.name)
            # A later version's checkpoint of a step wins (the run went on from it), as in `probes.analysis`;
            # `last.ckpt` only repeats the newest step, so a named file wins over it.
            if c and (c.step not in by_step or not _is_last(c) or _is_last(by_step[c.step])):
                by_step[c.step] = c
        out += [by_step[s] for s in sorted(by_step)]
    unique: dict[str, Checkpoint] = {}
    for c in out:
        unique.setdefault(c.key, c)
    return list(unique.values())


# -- loading -------------------------------------------------------------------------------------------------


def _load(ckpt: Checkpoint) -> tuple[Any, Any]:
    from trainers.hf import load_model, load_tokenizer, use_training_template

    if ckpt.kind == "hf":
        return load_model(ckpt.model, ckpt.revision), load_tokenizer(ckpt.model, ckpt.revision)
    assert ckpt.base is not None, ckpt
    if ckpt.kind == "lightning":
        from trainers.module import InstructionTuning

        # As training built it (full or LoRA, from the checkpoint's hyper-parameters), on the resolved base.
        module = InstructionTuning.load_from_checkpoint(ckpt.model, map_location="cpu", weights_only=False,
                                                        strict=True, model=ckpt.base, revision=ckpt.revision)
        tokenizer = load_tokenizer(ckpt.base, ckpt.revision)
        use_training_template(tokenizer, ckpt.base)  # as `trainers.fit` did for the run
        return module.model, tokenizer
    from peft import PeftModel

    model = PeftModel.from_pretrained(load_model(ckpt.base, ckpt.revision), ckpt.model)
    if (Path(ckpt.model) / "tokenizer_config.json").is_file():  # the export's, with the template trained with
        return model, load_tokenizer(ckpt.model)
    tokenizer = load_tokenizer(ckpt.base, ckpt.revision)
    use_training_template(tokenizer, ckpt.base)
    return model, tokenizer


def load_checkpoint(ckpt: Checkpoint, device: str) -> tuple[Any, Any]:
    """(model in eval mode on `device`, tokenizer) of a checkpoint; `UnreadableCheckpoint` when it cannot load."""
    from trainers.hf import ModelNotFound

    try:
        model, tokenizer = _load(ckpt)
    except UnreadableCheckpoint:
        raise
    except ModelNotFound as error:  # one line already
        raise UnreadableCheckpoint(ckpt.model, str(error)) from None
    except _READ_ERRORS as error:
        raise UnreadableCheckpoint(ckpt.model, _why(error)) from None
    return model.to(device).eval(), tokenizer
