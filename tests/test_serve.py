"""``zoo serve``: the demo's predictions, the real server driven through gradio_client, a screenshot."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import zoo
from zoo.errors import InputError, MissingDependencyError
from zoo.serving import DemoSession
from zoo.weights import sha256_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = np.linspace(-1, 1, 16).reshape(2, 8)


def _write_checkpoint(root: Path, name: str = "toy-serve") -> Path:
    """A published toy checkpoint with an example; returns the registry.toml that lists it."""
    import torch

    torch.manual_seed(0)
    folder = zoo.save(zoo.build("model/toy-fusion"), root / name, card={"name": name})
    np.save(folder / "example.npy", EXAMPLE)
    files = ", ".join(f'"{n}" = "sha256:{sha256_file(folder / n)}"' for n in ("model.safetensors", "example.npy"))
    registry = root / "registry.toml"
    registry.write_text(
        f'[models."{name}"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "local-dir:{folder}"\nfiles = {{ {files} }}\n'
    )
    return registry


@pytest.fixture
def toy_registry(tmp_path, monkeypatch) -> Path:
    from zoo.catalog import reset_catalog_cache

    registry = _write_checkpoint(tmp_path)
    monkeypatch.setenv("ZOO_REGISTRY", str(registry))
    reset_catalog_cache()
    return registry


def test_the_session_predicts_on_the_example_or_an_upload(toy_registry, tmp_path) -> None:
    session = DemoSession(["toy-serve"])
    try:
        view = session.predict("toy-serve", None, True)
        expected = zoo.predict("toy-serve", EXAMPLE)[0].outputs
        assert view.document["predictions"][0]["outputs"] == expected
        assert view.document["model"] == "toy-serve" and len(view.pictures) == 1
        assert Path(view.pictures[0]).is_file() and Path(view.pictures[0]).is_relative_to(session.scratch)
        assert view.markdown.splitlines()[0] == (
            f"**toy-serve** · task `toy-classification` · source `{view.document['source']}`"
        )
        assert f"| label | {expected['label']} |" in view.markdown
        upload = tmp_path / "mine.npy"
        np.save(upload, np.ones((3, 8)))
        uploaded = session.predict("toy-serve", [str(upload)], False)
        assert uploaded.document["predictions"][0]["input"] == str(upload)
        assert uploaded.document["predictions"][0]["outputs"] == zoo.predict("toy-serve", np.ones((3, 8)))[0].outputs
        assert session.predict("toy-serve", [str(upload)], True).document["predictions"][0]["input"].endswith("example.npy")
    finally:
        session.close()
    assert not session.scratch.exists()


def test_several_uploads_are_one_clip_folder(toy_registry, tmp_path, monkeypatch) -> None:
    from zoo.prediction import Prediction

    seen = []

    def record(model, inputs, **kwargs):
        seen.extend(inputs)
        return [Prediction(inputs[0], "toy-classification", {"label": 0})]

    monkeypatch.setattr("zoo.predicting.predict", record)
    frames = []
    for name in ("onset.png", "apex.png"):
        frames.append(tmp_path / name)
        frames[-1].write_bytes(name.encode())
    session = DemoSession(["toy-serve"])
    view = session.predict("toy-serve", [str(f) for f in frames], False)
    (folder,) = seen
    assert view.document["predictions"][0]["input"] == folder
    assert sorted(p.name for p in Path(folder).iterdir()) == ["apex.png", "onset.png"]
    session.close()


def test_the_session_refuses_what_it_cannot_serve(toy_registry) -> None:
    with pytest.raises(InputError, match="Not published checkpoints: toy-fusion-recipe"):
        DemoSession(["toy-fusion-recipe"])
    session = DemoSession(["toy-serve"])
    with pytest.raises(InputError, match="Upload an input, or tick"):
        session.predict("toy-serve", [], False)
    with pytest.raises(InputError, match="'other' is not served here"):
        session.predict("other", None, True)
    session.close()
    assert "toy-serve" in DemoSession().names  # default: every published checkpoint


def test_without_gradio_the_command_says_what_to_install(monkeypatch) -> None:
    from zoo.cli.main import build_cli
    from zoo.serving.app import import_gradio

    monkeypatch.setitem(sys.modules, "gradio", None)  # `import gradio` raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'perception-zoo\[serve\]'.*make setup-test"):
        import_gradio()
    result = CliRunner().invoke(build_cli(), ["serve", "--port", "1"])
    assert result.exit_code == 1 and result.output.startswith("error: zoo serve needs gradio")


def test_serve_binds_loopback_by_default(monkeypatch) -> None:
    from zoo.cli.main import build_cli

    calls = []
    monkeypatch.setattr("zoo.serving.serve", lambda names, **kw: calls.append((names, kw)))
    assert CliRunner().invoke(build_cli(), ["serve"]).exit_code == 0
    result = CliRunner().invoke(build_cli(), ["serve", "a", "b", "--host", "0.0.0.0", "--port", "8000", "--no-preview"])
    assert calls == [(None, {"host": "127.0.0.1", "port": 7860, "preview": True}),
                     (["a", "b"], {"host": "0.0.0.0", "port": 8000, "preview": False})]
    assert "warning: serving on 0.0.0.0" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, request) -> Iterator[str]:
    """``zoo serve`` in a subprocess: the toy checkpoint, or (indirect param "published") every published one."""
    which = getattr(request, "param", "toy")
    env = {**os.environ, "GRADIO_TEMP_DIR": str(tmp_path / "gradio"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    names: list[str] = []  # "published": every published checkpoint of the installed plugins
    if which == "toy":
        env["ZOO_REGISTRY"] = str(_write_checkpoint(tmp_path / "ckpt"))
        names = ["toy-serve"]
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "zoo.cli.main", "serve", *names, "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"zoo serve did not come up: {(tmp_path / 'serve.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_the_server_answers_gradio_client_on_loopback(server, tmp_path) -> None:
    from gradio_client import Client, handle_file

    assert server.startswith("http://127.0.0.1:")
    client = Client(server, verbose=False, download_files=str(tmp_path / "downloads"))
    markdown, picture, more, document = client.predict("toy-serve", None, True, api_name="/predict")
    (prediction,) = document["predictions"]
    assert prediction["task"] == "toy-classification" and prediction["input"].endswith("example.npy")
    import torch

    torch.manual_seed(0)  # the same weights as the served checkpoint
    assert prediction["outputs"] == zoo.predict(zoo.build("model/toy-fusion"), EXAMPLE)[0].outputs
    assert f"| label | {prediction['outputs']['label']} |" in markdown
    assert Path(picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and more == []  # the toy draws one picture
    upload = tmp_path / "rows.npy"
    np.save(upload, np.zeros((4, 8)))
    *_, uploaded = client.predict("toy-serve", [handle_file(str(upload))], False, api_name="/predict")
    assert uploaded["predictions"][0]["input"].endswith("rows.npy")
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Upload an input, or tick"):
        client.predict("toy-serve", None, False, api_name="/predict")


def _published_predicting() -> list[str]:
    from zoo.catalog import get_catalog
    from zoo.plugins import get_host
    from zoo.predicting import implements_predict

    catalog = get_catalog()
    return [n for n in catalog.list() if catalog.entries[n].status == "published"
            and implements_predict(get_host().registry.resolve(catalog.entries[n].model).load_class())]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["published"], indirect=True)
def test_one_prediction_per_published_method_through_the_server(server, tmp_path) -> None:
    from gradio_client import Client

    names = _published_predicting()
    if not names:
        pytest.skip("no published checkpoint implements the predict API yet")
    client = Client(server, verbose=False, download_files=str(tmp_path / "downloads"))
    for name in names:
        _, picture, _, document = client.predict(name, None, True, api_name="/predict")
        assert document["model"] == name and document["predictions"][0]["outputs"], name
        assert picture and Path(picture).stat().st_size > 0, f"{name}: no picture"


@pytest.mark.slow
@pytest.mark.parametrize("server", ["published" if _published_predicting() else "toy"], indirect=True)
def test_screenshot_with_headless_chromium(server, tmp_path) -> None:
    """Takes the README's screenshot (of the published checkpoints, opened on the first one's example);
    ZOO_UPDATE_SCREENSHOT=1 copies it to docs/images/serve.png."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make setup-test installs it on Debian)")
    shot = tmp_path / "serve.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,1200", "--virtual-time-budget=10000",
         f"--screenshot={shot}", server],
        check=True, capture_output=True, timeout=120,
    )
    from matplotlib.image import imread

    image = imread(shot)
    assert image.shape[:2] == (1200, 1280)
    assert image[..., :3].std() > 0.05  # not a blank page
    orange = (np.abs(image[..., :3] - np.array([0.976, 0.451, 0.086])).max(axis=-1) < 0.1).sum()
    assert orange > 1000  # the Predict button (gradio's primary colour) is drawn
    if os.environ.get("ZOO_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs" / "images").mkdir(exist_ok=True)
        shutil.copy(shot, ROOT / "docs" / "images" / "serve.png")
