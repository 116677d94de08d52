"""参加法人施設（CSW）: participating facilities whose staff act as CSWs."""

from layers._resources import resource_layer

LAYER = resource_layer("facility", "参加法人施設（CSW）", 30, "#41ab5d", show_csws=True)
