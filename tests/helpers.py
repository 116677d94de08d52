"""Small helpers shared by tests."""

from __future__ import annotations

EAST = "149990-01"
WEST = "149990-02"
NORTH = "149990-03"
XSS = "<img src=x onerror=alert(1)>"


def app_login(at, username: str, password: str, *, to_map: bool = True):  # type: ignore[no-untyped-def]
    """Sign in through an AppTest; staff land on 要対応 and reach the map by its button."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    if to_map:
        open_map = [b for b in at.button if b.label == "地図を開く"]
        if open_map:
            open_map[0].click().run()
    return at
