"""Maps: compact layer payloads, the base map, the offline background, area names, number
placement, the web map and the zoomed-out overview."""
