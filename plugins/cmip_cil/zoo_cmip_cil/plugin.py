"""Hook implementations of the CMIP-CIL plugin (light: imports only ``zoo`` and the stdlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

_PKG = "zoo_cmip_cil"

#: (registry name, target, summary)
COMPONENTS: tuple[tuple[str, str, str], ...] = ()


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    for name, target, summary in COMPONENTS:
        register(name, f"{_PKG}.{target}", summary=summary)
