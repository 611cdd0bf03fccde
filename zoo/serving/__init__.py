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
        InputError: if a name is not a published checkpoint, or there is none, or ``host:port``
            cannot be bound (in use, or not an address of this machine): checked before anything
            is built.
    """
    from zoo.serving.app import launch

    check_bindable(host, port)
    launch(build_app(names, preview=preview), host=host, port=port)


def check_bindable(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go: a port in use is a clear error before the app is built.

    Raises:
        InputError: naming the address and what to do.
    """
    import socket

    from zoo.errors import InputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is fine
            probe.bind(infos[0][4])
    except OSError as exc:
        raise InputError(
            f"Cannot serve on {host}:{port}: {exc.strerror or exc}. Pass another --port (or stop what uses it), "
            "or a --host that is an address of this machine."
        ) from None
