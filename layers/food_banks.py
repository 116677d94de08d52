"""フードバンク: food banks and food pantries."""

from layers._resources import resource_layer

LAYER = resource_layer("food_bank", "フードバンク", 50, "#fec44f")
