"""Parsing uploaded files in a child process that cannot starve the server.

Every list or boundary file is parsed by :mod:`lsmap.io.importing.worker` in its own Python
process with a memory ceiling (``LSMAP_IMPORT_MEMORY_MB`` above what the interpreter and
its libraries use), a CPU and wall-clock limit (``LSMAP_IMPORT_TIMEOUT_S``) and a lower
priority. The child gets a minimal environment (no database URL, passphrase or secrets)
and, for boundary files, a GDAL with every driver but GeoJSON, ESRI Shapefile and GPKG
switched off and no network. When a limit is hit the child is killed and the caller gets
an ImportRejected with a Japanese message; nothing has been written anywhere.
"""

from __future__ import annotations

import functools
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsmap.io.importing.problems import ImportRejected
from lsmap.settings import ImportLimits, import_limits

if TYPE_CHECKING:
    import geopandas as gpd

    from lsmap.io.importing.census_files import CensusFile
    from lsmap.io.importing.readers import RawTable
    from lsmap.io.importing.road_files import RoadLines

#: The only GDAL drivers a boundary file may be read with.
ALLOWED_DRIVERS = frozenset({"GeoJSON", "ESRI Shapefile", "GPKG"})
#: GDAL configuration of the child: no network, no VRT, nothing written beside the input.
GDAL_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".lsmap-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",  # should anything still try HTTP, it goes nowhere
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "OGR_SQLITE_LIST_VIRTUAL_OGR": "NO",
    "GDAL_PAM_ENABLED": "NO",
}
_PASSED_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TEMP",
    "TMP",
    "HOME",
    "SYSTEMROOT",
    "GDAL_DATA",
    "PROJ_DATA",
    "PROJ_LIB",
)


def parse_table(data: bytes, filename: str) -> RawTable:
    """Parse a CSV / .xlsx list (see :func:`lsmap.io.importing.readers.read_table`) in the child."""
    return run("table", {"data": data, "filename": filename})


def parse_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Read the layer of a boundary file (see :mod:`lsmap.io.importing.boundary_files`) in
    the child."""
    return run("boundaries", {"path": str(path)})


def parse_census(data: bytes, filename: str) -> CensusFile:
    """Read a census small-area CSV / DBF (see :mod:`lsmap.io.importing.census_files`) in
    the child."""
    return run("census", {"data": data, "filename": filename})


def parse_roads(path: Path, limits: ImportLimits | None = None) -> RoadLines:
    """Read the lines of a road file (see :mod:`lsmap.io.importing.road_files`) in the child."""
    return run("roads", {"path": str(path)}, limits)


def run(job: str, arguments: dict[str, Any], limits: ImportLimits | None = None) -> Any:
    """Run ``job`` in a limited child process and return its result, or raise ImportRejected."""
    limits = limits or import_limits()
    request = pickle.dumps((job, arguments, limits), protocol=pickle.HIGHEST_PROTOCOL)
    process = subprocess.Popen(
        [sys.executable, "-m", "lsmap.io.importing.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=child_environment(job),
    )
    try:
        output, _ = process.communicate(request, timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise ImportRejected(_too_slow(limits)) from None
    return _result(process.returncode, output, limits)


def _result(returncode: int, output: bytes, limits: ImportLimits) -> Any:
    try:
        # Our own worker's answer over a pipe; the untrusted file never reaches pickle.
        result = pickle.loads(output) if output else None  # noqa: S301
    except Exception:  # a child killed while writing leaves a cut pickle
        result = None
    if result is None:
        if returncode == -signal.SIGXCPU:
            raise ImportRejected(_too_slow(limits))
        if returncode < 0:  # killed: the kernel or the allocator gave up at the memory ceiling
            raise ImportRejected(_too_big(limits))
        raise ImportRejected(
            f"ファイルを読む処理が異常終了しました（終了コード {returncode}）。"
            "管理者に連絡してください"
        )
    if result[0] == "ok":
        return result[1]
    if result[0] == "rejected":
        raise ImportRejected(result[1], result[2])
    if result[0] == "memory":
        raise ImportRejected(_too_big(limits))
    raise ImportRejected(
        f"ファイルを読めませんでした（{result[1]}）。壊れているか、対応していない形式の可能性があります"
    )


def _too_slow(limits: ImportLimits) -> str:
    return (
        f"ファイルを読むのに時間がかかりすぎるため中止しました（上限 {limits.timeout_s:g} 秒）。"
        "ファイルを分けて取り込んでください"
    )


def _too_big(limits: ImportLimits) -> str:
    return (
        f"ファイルを読むのにメモリが足りなくなったため中止しました（上限 {limits.memory_mb:,} MB）"
        "。"
        "ファイルを分けるか、行や図形を減らしてください"
    )


def child_environment(job: str) -> dict[str, str]:
    """The child's environment: the basics to run Python, lsmap's path and GDAL's safe settings."""
    env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Arrow's own allocators reserve large address ranges up front; the C allocator
    # keeps the memory ceiling meaningful (pandas 3 keeps strings in Arrow).
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    if job in ("boundaries", "roads"):
        env.update(GDAL_CONFIG)
        env["GDAL_SKIP"] = gdal_skip()
    return env


@functools.cache
def gdal_skip() -> str:
    """GDAL_SKIP naming every installed driver except :data:`ALLOWED_DRIVERS` (and VRT)."""
    import pyogrio

    drivers = set(pyogrio.list_drivers()) | {"VRT", "OGR_VRT", "GDALG"}
    return ",".join(sorted(drivers - ALLOWED_DRIVERS))
