"""The Gradio layout of ``zoo serve`` over a :class:`~zoo.serving.session.DemoSession`.

The one event is exposed as the API endpoint ``/predict`` (``gradio_client``:
``Client(url).predict(name, files, use_example, api_name="/predict")`` returns the markdown, the
first picture, a gallery of any further pictures, and the JSON document).
"""

from __future__ import annotations

import os
from typing import Any

from zoo.errors import MissingDependencyError, ZooError
from zoo.serving.session import DemoSession

_INTRO = (
    "# zoo: predict with a published checkpoint\n"
    "Choose a checkpoint, then upload an input (one file; several files for a clip, e.g. onset and "
    "apex frames) or use the example input the checkpoint ships. The JSON is what "
    "`zoo predict NAME INPUT --json` prints."
)


def import_gradio() -> Any:
    """Import gradio with its telemetry off (the demo never calls out).

    Raises:
        MissingDependencyError: if gradio is not installed (names the extra and the make target).
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio
    except ImportError:
        raise MissingDependencyError(
            "zoo serve needs gradio: pip install 'perception-zoo[serve]' (`make setup-test` installs it "
            "too), then run zoo serve again."
        ) from None
    return gradio


def build_blocks(session: DemoSession, *, preview: bool = True) -> Any:
    """The ``gradio.Blocks`` of the demo; with ``preview`` the page opens on the first example's prediction.

    A preview that fails (say, a plugin without the predict API) is shown as its error message.

    Raises:
        MissingDependencyError: if gradio is not installed.
    """
    gr = import_gradio()

    def answer(name: str, files: list[str] | None, use_example: bool) -> tuple[str, str | None, list, dict]:
        try:
            view = session.predict(name, files, use_example)
        except ZooError as exc:  # shown in the page as one message, like the CLI's error line
            raise gr.Error(str(exc)) from None
        # The first picture at its own aspect ratio; any further ones in a gallery below it.
        first, more = (view.pictures[0], view.pictures[1:]) if view.pictures else (None, [])
        return view.markdown, first, [(p, os.path.basename(p)) for p in more], view.document

    default = session.default_name()
    # The preview is computed now and is the components' initial value: the page opens with a
    # prediction already shown (no request round-trip, so also in a headless screenshot).
    shown: tuple[str, str | None, list, dict | None] = ("", None, [], None)
    if preview:
        try:
            shown = answer(default, None, True)
        except gr.Error as exc:  # the demo still serves the other checkpoints
            shown = (f"The example of **{default}** could not be predicted: {exc.message}", None, [], None)
    with gr.Blocks(title="zoo serve", analytics_enabled=False) as blocks:
        gr.Markdown(_INTRO)
        with gr.Row():
            with gr.Column(scale=1):
                name = gr.Dropdown(session.names, value=default, label="checkpoint")
                files = gr.File(file_count="multiple", type="filepath", label="input file(s)")
                use_example = gr.Checkbox(value=True, label="use the example input (ignores uploads)")
                button = gr.Button("Predict", variant="primary")
            with gr.Column(scale=2):
                summary = gr.Markdown(shown[0])
                picture = gr.Image(shown[1], type="filepath", label="picture", interactive=False)
                gallery = gr.Gallery(shown[2], label="more pictures", columns=2, visible=bool(shown[2]))
                document = gr.JSON(shown[3], label="zoo predict --json", height=320)
        outputs = [summary, picture, gallery, document]
        # The API returns plain values; showing the gallery only when it has pictures is a second,
        # UI-only step (an update object would leak into gradio_client's result).
        button.click(answer, inputs=[name, files, use_example], outputs=outputs, api_name="predict").then(
            lambda more: gr.Gallery(visible=bool(more)), inputs=gallery, outputs=gallery, api_name=False
        )
        files.upload(lambda *_: False, inputs=files, outputs=use_example, api_name=False)
    blocks.zoo_session = session  # for launch(): the scratch folder it may serve files from
    return blocks


def launch(blocks: Any, *, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve until interrupted; only the session's scratch folder is served besides Gradio's cache."""
    session: DemoSession = blocks.zoo_session
    try:
        blocks.launch(
            server_name=host, server_port=port, share=False, ssr_mode=False, show_error=True,
            allowed_paths=[str(session.scratch)], footer_links=["api"],
        )
    finally:
        session.close()
