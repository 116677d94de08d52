"""その他の資源: 相談窓口, 子ども食堂, 学習支援 and other local resources kept in the app."""

from layers._resources import resource_layer

LAYER = resource_layer("other", "その他の資源（相談窓口・子ども食堂など）", 65, "#66a61e")
