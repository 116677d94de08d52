"""The child process that parses one uploaded file: ``python -m lsmap.io.importing.worker``.

It reads ``(job, arguments, limits)`` as a pickle on standard input, imports what the job
needs, then limits itself (address space: what it uses now plus ``limits.memory_mb``;
CPU seconds: ``limits.timeout_s``; lower priority) and parses. The result goes back as a
pickle on standard output: ``("ok", value)``, ``("rejected", message, problems)``,
``("memory",)`` or ``("failed", error type)``. Nothing else is written there: anything a
library prints goes to standard error, which the parent discards.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import re
import sys
from collections.abc import Callable
from typing import Any

from lsmap.io.importing.problems import ImportRejected
from lsmap.settings import ImportLimits

_MEMORY = pickle.dumps(("memory",))


def job_function(job: str) -> Callable[..., Any]:
    """The parse function of ``job``, with the libraries it needs already imported."""
    if job == "table":
        import openpyxl  # noqa: F401  (library code is not the file's cost)

        from lsmap.io.importing.readers import read_table

        return read_table
    if job == "boundaries":
        import geopandas  # noqa: F401
        import pyogrio  # noqa: F401

        from lsmap.io.importing.boundary_files import read_boundary_file

        return read_boundary_file
    if job == "census":
        from lsmap.io.importing.census_files import read_census_file

        return read_census_file
    if job == "roads":
        import geopandas  # noqa: F401
        import pyogrio  # noqa: F401

        from lsmap.io.importing.road_files import read_road_file

        return read_road_file
    raise ValueError(f"unknown job {job!r}")


def limit_self(limits: ImportLimits) -> None:
    """Cap this process: address space (now + memory_mb), CPU seconds, and a lower priority."""
    try:
        import resource
    except ImportError:  # not on Unix: only the parent's wall-clock timeout applies
        return
    with open("/proc/self/status", encoding="ascii") as status:
        match = re.search(r"VmSize:\s+(\d+) kB", status.read())
    if match:
        ceiling = int(match.group(1)) * 1024 + limits.memory_mb * 1024 * 1024
        _lower(resource, resource.RLIMIT_AS, ceiling)
    _lower(resource, resource.RLIMIT_CPU, math.ceil(limits.timeout_s) + 1)
    with contextlib.suppress(OSError):
        os.nice(10)


def _lower(resource: Any, which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def run(job: str, arguments: dict[str, Any], limits: ImportLimits) -> bytes:
    """Run one job and return its pickled result (never raises)."""
    try:
        function = job_function(job)
        limit_self(limits)
        return pickle.dumps(
            ("ok", function(**arguments, limits=limits)), protocol=pickle.HIGHEST_PROTOCOL
        )
    except ImportRejected as error:
        return pickle.dumps(("rejected", error.message, error.problems))
    except MemoryError:
        return _MEMORY
    except Exception as error:  # anything else is reported by its type only, never its text
        return pickle.dumps(("failed", type(error).__name__))


def main() -> int:
    """Entry point: request on stdin, result on stdout."""
    result_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # The parent's request over a pipe (the uploaded file is only ever parsed, not unpickled).
    job, arguments, limits = pickle.load(sys.stdin.buffer)  # noqa: S301
    result = run(job, arguments, limits)
    result_out.write(result)
    result_out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
