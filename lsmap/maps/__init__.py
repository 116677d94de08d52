"""Maps: compact layer payloads, the base map, the web map and the zoomed-out overview."""
