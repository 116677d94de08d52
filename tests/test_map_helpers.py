"""Small shared map helpers: popup markup written once, fitting a map, selectbox labels."""

from __future__ import annotations

import inspect

import folium
from shapely.geometry import Point, box

from lsmap.maps.basemap import GeoJsonLayer, base_map, fit_to
from lsmap.maps.payload import POPUP_TEMPLATES, PointLayer, compose_popup, record_link
from lsmap.ui.labels import label_for


def test_popup_markup_is_the_one_the_browser_fills() -> None:
    html = compose_popup(
        "households", ["氏名", "電話"], ["山田&amp;花子", ""], "/record?household=3"
    )
    assert html == (
        '<div class="lsmap-popup-households"><table class="lsmap-popup">'
        "<tr><th>氏名</th><td>山田&amp;花子</td></tr></table>"
        '<p><a class="lsmap-record-link" href="/record?household=3" target="_blank" '
        'rel="noopener">見守り記録を開く（新しいタブ）</a></p></div>'
    )
    assert record_link("/x") in html.replace("/record?household=3", "/x")
    # the browser's popup() fills the same templates, sent with the layer
    script = inspect.getsource(PointLayer)
    assert "this.popup_templates" in script and "<tr>" not in script


def test_fit_to_opens_on_an_area_and_ignores_none_or_empty() -> None:
    fmap = base_map("none")
    fit_to(fmap, None)
    fit_to(fmap, Point())  # empty: bounds are NaN
    assert "fit_bounds" not in str(fmap._children)
    fit_to(fmap, box(138.0, 34.0, 139.0, 35.0))
    rendered = fmap.get_root().render()
    assert "fitBounds" in rendered and "[[34.0, 138.0], [35.0, 139.0]]" in rendered


def test_numbered_geojson_layer_brings_its_css_once() -> None:
    fmap = base_map("none")
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [138.2, 34.8]},
        "properties": {"style": {"color": "#000", "weight": 2, "className": ""}, "label": "1"},
    }
    GeoJsonLayer([feature]).add_to(fmap)
    GeoJsonLayer([feature]).add_to(fmap)
    GeoJsonLayer([{**feature, "properties": {"style": {}}}]).add_to(folium.Map())
    html = fmap.get_root().render()
    assert html.count(".lsmap-number > div") == 1
    assert "lsmapNumberIcon(p.style, p.label, 30)" in html


def test_label_for_shows_the_label_or_the_choice_itself() -> None:
    show = label_for({"a": "ア"})
    assert show("a") == "ア"
    assert show("b") == "b"
    assert set(POPUP_TEMPLATES) == {"head", "row", "table_end", "link", "tail"}
