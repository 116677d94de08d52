"""Map layers: one declarative file each. Adding a layer means adding a file here."""

from __future__ import annotations

import importlib
import pkgutil

from layers.spec import LayerSpec
from lsmap import access
from lsmap.vocab import Role


def all_layers() -> list[LayerSpec]:
    """Every layer defined in this package, in drawing order."""
    specs = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        spec = getattr(module, "LAYER", None)
        if isinstance(spec, LayerSpec):
            specs.append(spec)
    return sorted(specs, key=lambda spec: spec.order)


def layers_for(who: access.Actor | Role | str) -> list[LayerSpec]:
    """The layers drawn for an actor (or a role) at all, as :func:`lsmap.access.may_draw` says."""
    return [spec for spec in all_layers() if access.may_draw(who, spec)]
