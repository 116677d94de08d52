"""Storing the walkable road graph once and loading it for distance queries.

The graph is public data (roads, no people). Loaded graphs are kept per process by network
id (a new import gets a new id), so the segment index is built once per process.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from pyproj import Transformer
from sqlalchemy import update
from sqlalchemy.orm import Session

from lsmap.access.planning import current_road_network
from lsmap.coverage.network import BuildReport, LoadedGraph, RoadGraph
from lsmap.settings import local_time
from lsmap.storage.models import RoadNetwork, utcnow

_LOADED: dict[tuple[int, int], LoadedGraph] = {}
_LOCK = threading.Lock()


def store_network(
    session: Session,
    graph: RoadGraph,
    report: BuildReport,
    *,
    name: str,
    source: str,
    imported_by: str,
    details: dict[str, Any] | None = None,
) -> RoadNetwork:
    """Save ``graph`` as the network in use; the previous one is kept, marked replaced."""
    session.execute(
        update(RoadNetwork).where(RoadNetwork.replaced_at.is_(None)).values(replaced_at=utcnow())
    )
    row = RoadNetwork(
        name=name[:200],
        source=source[:200],
        epsg=graph.epsg,
        nodes=graph.node_count,
        edges=len(graph.source),
        length_m=float(report.length_m),
        details={**report.as_dict(), **(details or {})},
        graph=graph.to_bytes(),
        imported_by=imported_by,
    )
    session.add(row)
    session.flush()
    return row


def _in_epsg(graph: RoadGraph, epsg: int) -> RoadGraph:
    """``graph`` with its nodes in ``epsg`` (lengths stay those measured at import)."""
    if graph.epsg == epsg:
        return graph
    to_lonlat = Transformer.from_crs(graph.epsg, 4326, always_xy=True)
    to_target = Transformer.from_crs(4326, epsg, always_xy=True)
    x, y = to_target.transform(*to_lonlat.transform(graph.x, graph.y))
    return RoadGraph(np.asarray(x), np.asarray(y), graph.source, graph.target, graph.length, epsg)


def load_current_network(session: Session, epsg: int) -> LoadedGraph | None:
    """The network in use, ready for queries in ``epsg``; None when none is loaded."""
    row = current_road_network(session)
    if row is None:
        return None
    key = (row.id, epsg)
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            graph = _in_epsg(RoadGraph.from_bytes(row.graph), epsg)
            loaded = LoadedGraph(
                graph,
                name=row.name,
                network_id=row.id,
                imported_on=f"{local_time(row.imported_at):%Y-%m-%d}",
            )
            _LOADED.clear()  # one network in use at a time
            _LOADED[key] = loaded
    return loaded
