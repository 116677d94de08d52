"""地域包括支援センター: the area's comprehensive support centres."""

from layers._resources import resource_layer

LAYER = resource_layer("support_centre", "地域包括支援センター", 60, "#807dba")
