"""Small helpers shared by tests."""

from __future__ import annotations

EAST = "149990-01"
WEST = "149990-02"
NORTH = "149990-03"
XSS = "<img src=x onerror=alert(1)>"
