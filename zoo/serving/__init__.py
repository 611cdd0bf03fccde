"""``zoo serve``: a local web demo of every published checkpoint (Gradio, an optional extra).

Choose a checkpoint, upload an input (one file, or several files for a clip) or take the
checkpoint's example, and see the prediction, its picture(s) and the ``zoo predict --json``
document. The server binds 127.0.0.1 unless told otherwise. ``gradio`` is imported only here, by
:func:`build_app`; without it the command says what to install.

The prediction logic (:class:`DemoSession`) does not import gradio, so it is tested directly too.
"""

from __future__ import annotations

from zoo.serving.session import DemoSession, PredictionView

__all__ = ["DemoSession", "PredictionView", "build_app", "serve"]


def build_app(names: list[str] | None = None, *, preview: bool = True):  # -> gradio.Blocks
    """The Gradio app (a ``gradio.Blocks``) over ``names`` (default: every published checkpoint).

    Raises:
        MissingDependencyError: if gradio is not installed.
        InputError: if a name is not a published checkpoint, or there is none.
    """
    from zoo.serving.app import build_blocks

    return build_blocks(DemoSession(names), preview=preview)


def serve(names: list[str] | None = None, *, host: str = "127.0.0.1", port: int = 7860, preview: bool = True) -> None:
    """Build the app and serve it until interrupted (Ctrl-C).

    Raises:
        MissingDependencyError: if gradio is not installed.
        InputError: if a name is not a published checkpoint, or there is none.
    """
    from zoo.serving.app import launch

    launch(build_app(names, preview=preview), host=host, port=port)
