"""Walking distance along a road network: the graph, built once, and nearest distances.

A road file's lines (metres, in the metric CRS) become a graph: every vertex is a node,
every segment an edge weighted by its length. Building it (:func:`build_graph`):

- vertices closer than ``snap_m`` are merged (so lines that meet at slightly different
  coordinates join), and a line end that stops within ``snap_m`` of another line's segment
  is joined to it by splitting that segment (a T-junction drawn without a shared vertex);
- lines that cross without a shared vertex stay apart (a bridge over a road, an underpass);
- lines the caller excludes (高速道路, roads closed to pedestrians) are left out;
- only the largest connected component is kept; the rest (islands of a few segments,
  usually drawing errors) are counted in the report.

Distances (:class:`LoadedGraph`): a point joins the network at the nearest point of the
nearest segment (the straight "access leg" is added to the path); the distance from each
household to the nearest resource of a kind is one multi-source Dijkstra
(``scipy.sparse.csgraph.dijkstra(min_only=True)``) from all resources of the kind at once,
plus the direct way when a household and a resource lie on the same segment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

#: Vertices (and line ends) closer than this many metres are joined.
DEFAULT_SNAP_M = 1.0
#: Households are routed in batches of this size in siting (bounds the memory of Dijkstra).
REACH_BATCH = 128


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build_graph` did with the lines it was given."""

    input_lines: int
    excluded_lines: int
    nodes: int
    edges: int
    joined_ends: int
    dropped_components: int
    dropped_edges: int
    length_m: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain numbers (stored with the network)."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class RoadGraph:
    """Nodes (metres in ``epsg``) and undirected edges with their lengths."""

    x: np.ndarray
    y: np.ndarray
    source: np.ndarray
    target: np.ndarray
    length: np.ndarray
    epsg: int

    @property
    def node_count(self) -> int:
        return len(self.x)

    def to_bytes(self) -> bytes:
        """The graph as a compressed NumPy archive (what the database stores)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            x=self.x,
            y=self.y,
            source=self.source.astype(np.int32),
            target=self.target.astype(np.int32),
            length=self.length.astype(np.float32),
            epsg=np.array([self.epsg]),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadGraph:
        """Read a graph written by :meth:`to_bytes` (plain arrays only, no pickles)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return cls(
                x=archive["x"].astype(float),
                y=archive["y"].astype(float),
                source=archive["source"].astype(np.int64),
                target=archive["target"].astype(np.int64),
                length=archive["length"].astype(float),
                epsg=int(archive["epsg"][0]),
            )


# ---------------------------------------------------------------- building


def _segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex coordinates and (start, end) vertex index pairs of every segment."""
    parts = shapely.get_parts(lines)
    parts = parts[shapely.get_type_id(parts) == 1]  # LineStrings only
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    same = owner[1:] == owner[:-1]
    start = np.flatnonzero(same)
    return coords, np.column_stack([start, start + 1])


def _merge_close(coords: np.ndarray, snap_m: float) -> np.ndarray:
    """Node id of each vertex: vertices within ``snap_m`` of each other share one."""
    if len(coords) == 0:
        return np.zeros(0, dtype=np.int64)
    pairs = cKDTree(coords).query_pairs(snap_m, output_type="ndarray")
    n = len(coords)
    links = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(links, directed=False)
    return labels.astype(np.int64)


def _join_dangling_ends(
    x: np.ndarray, y: np.ndarray, edges: np.ndarray, snap_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Split segments where a dangling line end stops within ``snap_m`` of them."""
    degree = np.bincount(edges.ravel(), minlength=len(x))
    ends = np.flatnonzero(degree == 1)
    if len(ends) == 0 or len(edges) == 0:
        return x, y, edges, 0
    segments = shapely.linestrings(
        np.column_stack([x[edges[:, 0]], y[edges[:, 0]], x[edges[:, 1]], y[edges[:, 1]]]).reshape(
            -1, 2, 2
        )
    )
    tree = shapely.STRtree(segments)
    points = shapely.points(x[ends], y[ends])
    end_idx, seg_idx = tree.query(points, predicate="dwithin", distance=snap_m)
    touching = (edges[seg_idx, 0] != ends[end_idx]) & (edges[seg_idx, 1] != ends[end_idx])
    end_idx, seg_idx = end_idx[touching], seg_idx[touching]
    if len(end_idx) == 0:
        return x, y, edges, 0
    position = shapely.line_locate_point(segments[seg_idx], points[end_idx], normalized=True)
    inner = (position > 0.0) & (position < 1.0)
    end_idx, seg_idx, position = end_idx[inner], seg_idx[inner], position[inner]
    order = np.lexsort((position, seg_idx))
    end_idx, seg_idx = end_idx[order], seg_idx[order]
    kept = np.ones(len(edges), dtype=bool)
    kept[seg_idx] = False
    new_edges = [edges[kept]]
    for segment in np.unique(seg_idx):
        chain = [edges[segment, 0], *ends[end_idx[seg_idx == segment]], edges[segment, 1]]
        new_edges.append(np.column_stack([chain[:-1], chain[1:]]))
    return x, y, np.concatenate(new_edges), len(np.unique(end_idx))


def build_graph(
    lines: np.ndarray,
    epsg: int,
    *,
    excluded: np.ndarray | None = None,
    snap_m: float = DEFAULT_SNAP_M,
) -> tuple[RoadGraph, BuildReport]:
    """The walkable graph of ``lines`` (shapely lines in metres, ``epsg``).

    ``excluded`` marks lines to leave out (高速道路 and the like). See the module docstring.
    """
    lines = np.asarray(lines, dtype=object)
    excluded = np.zeros(len(lines), bool) if excluded is None else np.asarray(excluded, bool)
    coords, pairs = _segments(lines[~excluded])
    node_of = _merge_close(coords, snap_m)
    count = int(node_of.max()) + 1 if len(node_of) else 0
    x = np.bincount(node_of, coords[:, 0], count) / np.maximum(np.bincount(node_of), 1)
    y = np.bincount(node_of, coords[:, 1], count) / np.maximum(np.bincount(node_of), 1)
    edges = node_of[pairs] if len(pairs) else np.zeros((0, 2), np.int64)
    edges = edges[edges[:, 0] != edges[:, 1]]
    x, y, edges, joined = _join_dangling_ends(x, y, edges, snap_m)
    edges = np.unique(np.sort(edges, axis=1), axis=0) if len(edges) else edges
    graph, dropped_components, dropped_edges = _largest_component(x, y, edges, epsg)
    report = BuildReport(
        input_lines=len(lines),
        excluded_lines=int(excluded.sum()),
        nodes=graph.node_count,
        edges=len(graph.source),
        joined_ends=joined,
        dropped_components=dropped_components,
        dropped_edges=dropped_edges,
        length_m=round(float(graph.length.sum()), 1),
    )
    return graph, report


def _largest_component(
    x: np.ndarray, y: np.ndarray, edges: np.ndarray, epsg: int
) -> tuple[RoadGraph, int, int]:
    """The largest connected part of the graph, renumbered; and what was dropped."""
    n = len(x)
    matrix = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    count, labels = connected_components(matrix, directed=False)
    used = np.zeros(n, dtype=bool)
    used[edges.ravel()] = True
    sizes = np.bincount(labels[used], minlength=count) if count else np.zeros(0, np.int64)
    if len(edges) == 0:
        empty = np.zeros(0)
        return (
            RoadGraph(empty, empty, empty.astype(np.int64), empty.astype(np.int64), empty, epsg),
            0,
            0,
        )
    best = int(np.argmax(sizes))
    keep_edge = labels[edges[:, 0]] == best
    keep_node = labels == best
    renumber = np.cumsum(keep_node) - 1
    kept = edges[keep_edge]
    length = np.hypot(x[kept[:, 0]] - x[kept[:, 1]], y[kept[:, 0]] - y[kept[:, 1]])
    graph = RoadGraph(
        x=x[keep_node],
        y=y[keep_node],
        source=renumber[kept[:, 0]],
        target=renumber[kept[:, 1]],
        length=length,
        epsg=epsg,
    )
    dropped = int(((sizes > 0).sum()) - 1)
    return graph, dropped, int((~keep_edge).sum())


# ---------------------------------------------------------------- distances


@dataclass(frozen=True)
class Snapped:
    """Where points join the network: the segment, its two ends and the way to each."""

    edge: np.ndarray  # segment index, -1 for a point without coordinates
    node_a: np.ndarray
    node_b: np.ndarray
    to_a: np.ndarray  # access leg + way along the segment to node_a (metres)
    to_b: np.ndarray
    along: np.ndarray  # position along the segment from node_a (metres)
    leg: np.ndarray  # straight access leg (metres)


@dataclass
class LoadedGraph:
    """A road graph ready for distance queries (its segment index is built once)."""

    graph: RoadGraph
    name: str = ""
    network_id: int | None = None
    #: When the network was imported (Japan time, for the page's note).
    imported_on: str = ""

    @cached_property
    def segments(self) -> np.ndarray:
        g = self.graph
        xy = np.column_stack([g.x[g.source], g.y[g.source], g.x[g.target], g.y[g.target]])
        return shapely.linestrings(xy.reshape(-1, 2, 2))

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.segments)

    @cached_property
    def base(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both directions of every edge, for building the routing matrices."""
        g = self.graph
        return (
            np.concatenate([g.source, g.target]),
            np.concatenate([g.target, g.source]),
            np.concatenate([g.length, g.length]),
        )

    def snap(self, x: np.ndarray, y: np.ndarray) -> Snapped:
        """Join points (metres) to the network at the nearest point of the nearest segment."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        n = len(x)
        edge = np.full(n, -1, dtype=np.int64)
        along = np.zeros(n)
        leg = np.full(n, np.nan)
        finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if len(finite) and len(self.graph.source):
            points = shapely.points(x[finite], y[finite])
            found, distance = self.tree.query_nearest(
                points, return_distance=True, all_matches=False
            )
            source_idx, seg_idx = found
            where = finite[source_idx]
            edge[where] = seg_idx
            leg[where] = distance
            along[where] = shapely.line_locate_point(self.segments[seg_idx], points[source_idx])
        g = self.graph
        safe = np.maximum(edge, 0)
        length = g.length[safe]
        return Snapped(
            edge=edge,
            node_a=g.source[safe],
            node_b=g.target[safe],
            to_a=leg + along,
            to_b=leg + (length - along),
            along=along,
            leg=leg,
        )

    def _matrix(
        self, extra_from: np.ndarray, extra_to: np.ndarray, extra_w: np.ndarray, extra: int
    ) -> csr_matrix:
        src, dst, weight = self.base
        n = self.graph.node_count + extra
        return csr_matrix(
            (
                np.concatenate([weight, extra_w, extra_w]),
                (
                    np.concatenate([src, extra_from, extra_to]),
                    np.concatenate([dst, extra_to, extra_from]),
                ),
            ),
            shape=(n, n),
        )

    def nearest_distances(
        self,
        hx: np.ndarray,
        hy: np.ndarray,
        rx: np.ndarray,
        ry: np.ndarray,
        households: Snapped | None = None,
    ) -> np.ndarray:
        """Walking distance (m) from each household to the nearest resource.

        inf when no resource can be reached (or there is none), NaN for a household without
        coordinates: the same conventions as the straight-line engine. ``households``: the
        households already snapped (:meth:`snap`), when asking for several kinds.
        """
        households = households if households is not None else self.snap(hx, hy)
        result = np.where(households.edge >= 0, np.inf, np.nan)
        usable = np.isfinite(rx) & np.isfinite(ry)
        resources = self.snap(np.asarray(rx, float)[usable], np.asarray(ry, float)[usable])
        placed = resources.edge >= 0
        if not placed.any() or not (households.edge >= 0).any():
            return result
        to_node = self._from_resources(resources, placed)
        on = households.edge >= 0
        via_a = households.to_a[on] + to_node[households.node_a[on]]
        via_b = households.to_b[on] + to_node[households.node_b[on]]
        result[on] = np.minimum(via_a, via_b)
        direct = _same_segment(households, resources, placed)
        return np.fmin(result, direct)

    def _from_resources(self, resources: Snapped, placed: np.ndarray) -> np.ndarray:
        """Distance from the nearest resource to every node (multi-source Dijkstra)."""
        n = self.graph.node_count
        count = int(placed.sum())
        virtual = n + np.arange(count)
        matrix = self._matrix(
            np.concatenate([virtual, virtual]),
            np.concatenate([resources.node_a[placed], resources.node_b[placed]]),
            np.concatenate([resources.to_a[placed], resources.to_b[placed]]),
            count,
        )
        distance = dijkstra(matrix, directed=False, indices=virtual, min_only=True)
        return np.asarray(distance[:n], dtype=float)

    def reach(
        self,
        hx: np.ndarray,
        hy: np.ndarray,
        cx: np.ndarray,
        cy: np.ndarray,
        radius_m: float,
    ) -> list[np.ndarray]:
        """For each candidate place, the households within ``radius_m`` along the network.

        Households are routed from, in batches, on the part of the graph within the radius
        of their bounding box (a path of that length cannot leave it).
        """
        households, candidates = self.snap(hx, hy), self.snap(cx, cy)
        found: list[list[np.ndarray]] = [[] for _ in range(len(cx))]
        ok = np.flatnonzero(households.edge >= 0)
        reachable = np.flatnonzero(candidates.edge >= 0)
        for start in range(0, len(ok), REACH_BATCH):
            batch = ok[start : start + REACH_BATCH]
            distance = self._batch_distances(households, batch, candidates, reachable, radius_m)
            for column, candidate in enumerate(reachable):
                hit = batch[distance[:, column] <= radius_m + 1e-6]
                if len(hit):
                    found[candidate].append(hit)
        return [np.concatenate(f) if f else np.zeros(0, np.int64) for f in found]

    def _batch_distances(
        self,
        households: Snapped,
        batch: np.ndarray,
        candidates: Snapped,
        reachable: np.ndarray,
        radius_m: float,
    ) -> np.ndarray:
        """Network distance from each household of ``batch`` to each reachable candidate,
        routed on the window of the graph that a path of ``radius_m`` can reach."""
        g = self.graph
        margin = radius_m + float(np.nanmax(households.leg[batch]))
        xs = np.concatenate([g.x[households.node_a[batch]], g.x[candidates.node_a[reachable]]])
        ys = np.concatenate([g.y[households.node_a[batch]], g.y[candidates.node_a[reachable]]])
        inside = (
            (g.x >= xs.min() - margin)
            & (g.x <= xs.max() + margin)
            & (g.y >= ys.min() - margin)
            & (g.y <= ys.max() + margin)
        )
        keep = inside[g.source] | inside[g.target]
        nodes = np.zeros(g.node_count, dtype=bool)
        nodes[g.source[keep]] = nodes[g.target[keep]] = True
        local = np.where(nodes, np.cumsum(nodes) - 1, -1)
        n = int(nodes.sum())
        virtual = n + np.arange(len(batch))
        src, dst, weight = local[g.source[keep]], local[g.target[keep]], g.length[keep]
        extra_from = np.concatenate([virtual, virtual])
        extra_to = local[np.concatenate([households.node_a[batch], households.node_b[batch]])]
        extra_w = np.concatenate([households.to_a[batch], households.to_b[batch]])
        matrix = csr_matrix(
            (
                np.concatenate([weight, weight, extra_w, extra_w]),
                (
                    np.concatenate([src, dst, extra_from, extra_to]),
                    np.concatenate([dst, src, extra_to, extra_from]),
                ),
            ),
            shape=(n + len(batch), n + len(batch)),
        )
        table = dijkstra(matrix, directed=False, indices=virtual, limit=radius_m + 1e-6)
        table = np.column_stack([table, np.full(len(batch), np.inf)])  # column -1: outside
        a, b = local[candidates.node_a[reachable]], local[candidates.node_b[reachable]]
        distance = np.minimum(
            table[:, a] + candidates.to_a[reachable], table[:, b] + candidates.to_b[reachable]
        )
        same = households.edge[batch][:, None] == candidates.edge[reachable][None, :]
        direct = (
            households.leg[batch][:, None]
            + candidates.leg[reachable][None, :]
            + np.abs(households.along[batch][:, None] - candidates.along[reachable][None, :])
        )
        return np.where(same, np.minimum(distance, direct), distance)


def _same_segment(households: Snapped, resources: Snapped, placed: np.ndarray) -> np.ndarray:
    """Distance straight along the shared segment, where a household and a resource share one."""
    result = np.full(len(households.edge), np.inf)
    r_edge = resources.edge[placed]
    order = np.argsort(r_edge, kind="stable")
    r_edge = r_edge[order]
    r_along, r_leg = resources.along[placed][order], resources.leg[placed][order]
    lo = np.searchsorted(r_edge, households.edge, side="left")
    hi = np.searchsorted(r_edge, households.edge, side="right")
    for h in np.flatnonzero((hi > lo) & (households.edge >= 0)):
        span = slice(lo[h], hi[h])
        result[h] = float(
            np.min(households.leg[h] + r_leg[span] + np.abs(households.along[h] - r_along[span]))
        )
    return result
