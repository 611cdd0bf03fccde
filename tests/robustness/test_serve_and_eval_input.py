"""zoo serve on a port in use or an address that is not this machine's, zoo eval with a batch size of 0:
one line before anything is built (no Gradio app, no model load)."""

from __future__ import annotations

import socket

from zoo.testing import run_cli


def test_serve_on_a_port_in_use_is_one_error_line_before_the_app_is_built() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli(["serve", "--port", str(port), "--no-preview"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: Cannot serve on 127.0.0.1:{port}: Address already in use. Pass another --port")


def test_serve_on_an_address_that_is_not_this_machines_says_so() -> None:
    result = run_cli(["serve", "--host", "no-such-host.invalid", "--no-preview"])
    assert result.exit_code == 1 and "error: Cannot serve on no-such-host.invalid:7860" in result.output
    assert "warning: serving on no-such-host.invalid" in result.output


def test_eval_with_a_batch_size_below_one_is_a_usage_error() -> None:
    result = run_cli(["eval", "toy-fusion-recipe", "--batch-size", "0"])
    assert result.exit_code == 2 and "0 is not in the range x>=1" in result.output
