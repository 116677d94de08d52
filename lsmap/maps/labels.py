"""Text labels placed on a map (district names on a choropleth), escaped on the server."""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement
from jinja2 import Template

from lsmap.escape import html_text


class AreaLabels(MacroElement):
    """Non-interactive labels: ``(lat, lon, first line, second line)``; text is escaped."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, labels) {
            labels.forEach(function (l) {
                L.marker([l[0], l[1]], {interactive: false, keyboard: false, icon: L.divIcon({
                    className: "lsmap-area-label", iconSize: null,
                    html: '<div style="transform:translate(-50%,-50%);white-space:nowrap;' +
                          'text-align:center;font:600 13px/1.25 sans-serif;color:#111;' +
                          'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff">' +
                          l[2] + (l[3] ? '<br><span style="font-weight:400">' + l[3] +
                          '</span>' : '') + '</div>'
                })}).addTo(map);
            });
        })({{ this._parent.get_name() }}, {{ this.labels|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[tuple[float, float, str, str]]) -> None:
        super().__init__()
        self._name = "AreaLabels"
        self.labels: list[Any] = [
            [round(lat, 6), round(lon, 6), html_text(name), html_text(value)]
            for lat, lon, name, value in labels
        ]
