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
    add(Path(__file__).with_name("catalog.toml"))
