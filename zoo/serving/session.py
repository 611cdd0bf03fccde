"""What the web demo does for one request, without gradio: pick the input, predict, lay out the answer."""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.errors import InputError


@dataclass
class PredictionView:
    """One answer of the demo: a markdown summary, the pictures and the ``zoo predict --json`` document."""

    markdown: str
    pictures: list[str]
    document: dict[str, Any]


def published_names() -> list[str]:
    """Every published checkpoint of the catalog (the ones with weights)."""
    from zoo.catalog import get_catalog

    catalog = get_catalog()
    return [n for n in catalog.list() if catalog.entries[n].status == "published"]


class DemoSession:
    """Loaded models (each loaded once, on first use) and a scratch folder for uploads and pictures.

    Gradio runs requests in threads: a model predicts for one request at a time.
    """

    def __init__(self, names: list[str] | None = None) -> None:
        available = published_names()
        unknown = sorted(set(names or ()) - set(available))
        if unknown:
            raise InputError(
                f"Not published checkpoints: {', '.join(unknown)}. `zoo list --kind checkpoint` shows "
                f"the catalog; published ones: {', '.join(available) or 'none'}."
            )
        self.names = list(names) if names else available
        if not self.names:
            raise InputError("The catalog has no published checkpoint to serve; install a plugin that ships one.")
        self.scratch = Path(tempfile.mkdtemp(prefix="zoo-serve-"))
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {name: threading.Lock() for name in self.names}
        self._counter = 0
        self._counter_lock = threading.Lock()

    def default_name(self) -> str:
        """The checkpoint shown first: the first that ships an example and implements the predict API."""
        from zoo.catalog import get_catalog
        from zoo.examples import lists_example
        from zoo.plugins import get_host
        from zoo.predicting import implements_predict

        for name in self.names:
            entry = get_catalog().get(name)
            if lists_example(entry.files) and implements_predict(get_host().registry.resolve(entry.model).load_class()):
                return name
        return self.names[0]

    def predict(self, name: str, uploads: list[str] | None, use_example: bool) -> PredictionView:
        """Predict with checkpoint ``name`` on the uploaded file(s), or on its example.

        Several uploaded files are one input (a clip): they are put in one folder, which is what
        the processors of clip models read.

        Raises:
            InputError: for an unknown name, no input, or an input the model cannot use.
            ZooError: whatever loading or predicting the checkpoint raises (typed, one line).
        """
        from zoo.cli.predict_commands import predict_document
        from zoo.examples import example_input
        from zoo.predicting import predict

        if name not in self._locks:
            raise InputError(f"{name!r} is not served here; choose one of {', '.join(self.names)}.")
        uploads = [u for u in (uploads or []) if u]
        if not uploads and not use_example:
            raise InputError("Upload an input, or tick 'use the example input'.")
        request = self._request_dir()
        source = str(example_input(name)) if use_example or not uploads else self._gather(uploads, request)
        with self._locks[name]:
            model = self._model(name)
            predictions = predict(model, [source], out_dir=request / "out", progress=False)
        document = predict_document(name, model, predictions)
        pictures = [str(p) for p in predictions[0].files]
        return PredictionView(summary_markdown(document), pictures, document)

    def close(self) -> None:
        """Remove the scratch folder (uploads and pictures)."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _model(self, name: str) -> Any:
        if name not in self._models:
            from zoo.predicting import prepare_model

            self._models[name] = prepare_model(name)
        return self._models[name]

    def _request_dir(self) -> Path:
        with self._counter_lock:
            self._counter += 1
            folder = self.scratch / f"request-{self._counter}"
        folder.mkdir()
        return folder

    @staticmethod
    def _gather(uploads: list[str], request: Path) -> str:
        if len(uploads) == 1:
            return uploads[0]
        clip = request / "upload"
        clip.mkdir()
        for upload in uploads:
            shutil.copy(upload, clip / Path(upload).name)
        return str(clip)


def summary_markdown(document: dict[str, Any]) -> str:
    """The prediction as a short markdown block: checkpoint, task, one line per output."""
    (prediction,) = document["predictions"]
    lines = [
        f"**{document['model']}** · task `{prediction['task']}` · source `{document['source']}`",
        "",
        "| output | value |",
        "|---|---|",
    ]
    for key, value in prediction["outputs"].items():
        lines.append(f"| {key} | {_cell(value)} |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: -kv[1]) if all(isinstance(v, (int, float)) for v in value.values()) else value.items()
        return ", ".join(f"{k}: {_cell(v)}" for k, v in list(items)[:5]) + (" …" if len(value) > 5 else "")
    if isinstance(value, list):
        shown = ", ".join(_cell(v) for v in value[:5])
        return f"[{shown}{', …' if len(value) > 5 else ''}]"
    return str(value).replace("|", "\\|").replace("\n", " ")
