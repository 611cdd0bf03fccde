"""zoo: a plugin-based model zoo for face, crowd and 3D perception methods.

Only names are defined here; each is imported on first use (module ``__getattr__``), so that
``import zoo`` costs almost nothing and never imports torch, open3d or cv2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoo._version import __version__

_EXPORTS: dict[str, str] = {
    "load": "zoo.loading:load",
    "build": "zoo.factory:build",
    "list": "zoo.listing:list_names",
    "info": "zoo.listing:info",
    "save": "zoo.saving:save",
    "predict": "zoo.predicting:predict",
    "example_input": "zoo.examples:example_input",
    "publish": "zoo.publishing:publish",
    "hookimpl": "zoo.hookspecs:hookimpl",
    "ComponentConfig": "zoo.config:ComponentConfig",
    "Component": "zoo.components:Component",
    "Encoder": "zoo.components:Encoder",
    "Expert": "zoo.components:Expert",
    "Memory": "zoo.components:Memory",
    "Head": "zoo.components:Head",
    "Model": "zoo.components:Model",
    "Dataset": "zoo.components:Dataset",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from zoo.components import Component, Dataset, Encoder, Expert, Head, Memory, Model
    from zoo.config import ComponentConfig
    from zoo.examples import example_input
    from zoo.factory import build
    from zoo.hookspecs import hookimpl
    from zoo.listing import info
    from zoo.listing import list_names as list
    from zoo.loading import load
    from zoo.predicting import predict
    from zoo.publishing import publish
    from zoo.saving import save


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    import importlib

    module_name, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
