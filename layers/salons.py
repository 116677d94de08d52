"""サロン・居場所: salons, mini-day services and other regular gatherings."""

from layers._resources import resource_layer

LAYER = resource_layer("salon", "サロン・居場所", 40, "#dd3497")
