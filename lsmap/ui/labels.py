"""Japanese labels for selectbox and radio choices."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

K = TypeVar("K")


def label_for(labels: Mapping[K, str]) -> Callable[[K], str]:
    """A ``format_func``: the label of a choice (the choice itself when it has none)."""

    def label(key: K) -> str:
        return labels.get(key, str(key))

    return label
