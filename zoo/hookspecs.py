"""The hooks a zoo plugin can implement (all optional). Modelled on ``llm/hookspecs.py``."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("zoo")
#: Decorate plugin functions with ``@zoo.hookimpl`` to implement a hook.
hookimpl = pluggy.HookimplMarker("zoo")


@hookspec
def zoo_register_components(register: Any) -> None:
    """Register components: ``register(name, target, config=None, summary="", aliases=(), override=False)``."""


@hookspec
def zoo_register_catalog(add: Any) -> None:
    """Contribute catalog entries: ``add(Path(__file__).with_name("catalog.toml"))``.

    The file has the schema of ``registry.toml`` (``[models."<name>"]``, ``[ablations."<name>"]``);
    its entries are validated when the plugin loads. Anything but a path fails the plugin with a
    ``CatalogError`` saying so.
    """


@hookspec
def zoo_register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``zoo`` command line (``cli.add_command(...)``)."""


@hookspec(firstresult=True)
def zoo_migrate_state_dict(name: str, from_version: str, state_dict: dict) -> dict | None:
    """Return ``state_dict`` migrated from plugin version ``from_version`` to this one, or None."""
