"""Hook implementations: registration only, nothing heavy is imported here."""

from pathlib import Path

import zoo


@zoo.hookimpl
def zoo_register_components(register):
    register(
        "expert/lbp-top",
        "zoo_thirdparty_lbp.expert:LbpTopExpert",
        summary="Local-binary-pattern-like texture tokens (third-party example)",
        aliases=("lbp",),
    )


@zoo.hookimpl
def zoo_register_catalog(add):
    add(
        {
            "name": "toy-fusion-lbp",
            "model": "model/toy-fusion",
            "config": {"experts": {"b": "expert/lbp-top"}},
            "status": "recipe",
            "summary": "The toy fusion model with the third-party LBP expert in slot b",
            "reproduce": "zoo train toy-fusion-lbp",
        },
        base_dir=Path(__file__).parent,
    )
