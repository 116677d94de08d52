"""``lsmap bench import``: a households list of N rows imported into a throw-away database.

The database gets the sample town (boundaries, its 400 households and its address
reference); then a CSV of ``--rows`` households is written the way real 名簿 are (addresses
without coordinates in many spellings, one row in ten with 緯度・経度, some households with
two residents) and imported with the same function the command line uses, in a fresh
process (spawned, so that its peak memory is the import's own: parsing in the limited child,
checking, geocoding and the bulk write in one transaction). Prints JSON: wall-clock seconds,
CPU seconds (importing process and parsing child: the figure that a busy machine does not
inflate), peak resident memory of the importing process and of the parsing child, and the
rows per match level.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lsmap.storage import db

HEADERS = ["番号", "氏名", "ふりがな", "生年", "電話", "世帯の状況", "住所", "緯度", "経度", "同意"]
TYPES = ("一人暮らし高齢者", "高齢者夫婦", "障害", "生活困窮", "その他")


def write_list(path: Path, rows: int, seed: int) -> None:
    """A households CSV (UTF-8 with BOM) of ``rows`` rows in the sample town (its addresses
    come from the sample's own 位置参照情報, whatever ``seed`` varies)."""
    from sample_data.address_reference import address_variants, town_points
    from sample_data.names import SURNAMES
    from sample_data.town import DEFAULT_SEED

    rng = np.random.default_rng(seed)
    variants = address_variants(DEFAULT_SEED, rows)
    centres = {name: (lon, lat) for name, lon, lat, _ in town_points(DEFAULT_SEED)}
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        household = 0
        for i, variant in enumerate(variants):
            if i == 0 or rng.random() > 0.08:  # else: a second resident of the same household
                household += 1
            surname, reading = SURNAMES[int(rng.integers(len(SURNAMES)))]
            located = rng.random() < 0.1
            lon_c, lat_c = centres[variant.town]  # a surveyed point: the 町丁目's own point
            lat, lon = f"{lat_c:.6f}", f"{lon_c:.6f}"
            writer.writerow(
                [
                    f"B{household:06d}",
                    f"{surname}\u3000{i:05d}",
                    f"{reading}\u3000いち",
                    str(int(rng.integers(1930, 1960))),
                    f"046-2{int(rng.integers(10, 100)):02d}-{int(rng.integers(0, 10000)):04d}",
                    TYPES[int(rng.integers(len(TYPES)))],
                    variant.text,
                    lat if located else "",
                    lon if located else "",
                    "同意" if rng.random() < 0.7 else "未回答",
                ]
            )


def _timed_import(url: str, path: str, queue: Any) -> None:
    """In a spawned process: import the list as the command line does; report the figures."""
    from lsmap.access import Actor
    from lsmap.io.importing.apply import import_list_file
    from lsmap.storage import db as storage
    from lsmap.vocab import Role

    admin = Actor(0, "bench", "ベンチマーク", Role.ADMIN, frozenset())
    engine = storage.get_engine(url)
    start, cpu = time.perf_counter(), time.process_time()
    result = import_list_file(engine, admin, "households", Path(path), partial=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    queue.put(
        {
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu + child.ru_utime + child.ru_stime, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "parse_child_peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
            ),
            "created": result.created,
            "rejected": len(result.rejected),
            "skipped": result.plan.skipped,
            "levels": result.plan.level_counts(),
        }
    )


def _database(postgres_url: str | None, folder: Path) -> tuple[str, Any]:
    """(URL of a fresh database, a function that removes it)."""
    if not postgres_url:
        return f"sqlite:///{folder / 'bench.sqlite'}", lambda: None
    name = f"lsmap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text("SELECT 1"))

    def drop() -> None:
        db.get_engine(str(make_url(postgres_url).set(database=name))).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def bench_import(rows: int, postgres_url: str | None = None, seed: int = 7) -> dict[str, Any]:
    """Import ``rows`` households into a throw-away SQLite (or PostgreSQL) database."""
    from lsmap.io.sample import load_sample

    with tempfile.TemporaryDirectory(prefix="lsmap-bench-") as tmp:
        folder = Path(tmp)
        url, drop = _database(postgres_url, folder)
        try:
            engine = db.get_engine(url)
            if url.startswith("postgresql"):
                with engine.begin() as connection:
                    connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            db.upgrade(engine)
            load_sample(engine, force=True, with_reference=True)
            path = folder / "households.csv"
            write_list(path, rows, seed)
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            child = context.Process(target=_timed_import, args=(url, str(path), queue))
            child.start()
            report = queue.get(timeout=600)
            child.join()
            report.update(
                {
                    "rows": rows,
                    "database": engine.dialect.name,
                    "file_mb": round(os.path.getsize(path) / 1048576, 2),
                }
            )
            engine.dispose()
        finally:
            drop()
    return report


def add_bench_import_command(bench_sub: Any) -> None:
    """Register ``bench import`` on the ``lsmap bench`` subcommand parser."""
    run = bench_sub.add_parser(
        "import", help="世帯の一覧（住所だけ）を使い捨てのデータベースに取り込む時間とメモリ"
    )
    run.add_argument("--rows", type=int, default=20_000)
    run.add_argument(
        "--postgres-url",
        help="PostgreSQL の管理用 URL（使い捨てのデータベースをここに作って消す）。省略時は SQLite",
    )
    run.add_argument("--seed", type=int, default=7)
    run.set_defaults(func=_command)


def _command(args: Any) -> int:
    print(json.dumps(bench_import(args.rows, args.postgres_url, args.seed), ensure_ascii=False))
    return 0
