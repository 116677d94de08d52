"""Planning on the command line: ``import census|roads``, ``snapshot``, ``bench network``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any


def _engine(args: argparse.Namespace) -> Any:
    from lsmap.settings import get_settings
    from lsmap.storage import db

    engine = db.get_engine(args.database_url or get_settings().database_url)
    db.upgrade(engine)
    return engine


def import_planning(args: argparse.Namespace, actor: Any) -> int:
    """``lsmap import census FILE`` / ``lsmap import roads FILE`` (admin; ``--dry-run``)."""
    engine = _engine(args)
    path = Path(args.file)
    if args.what == "census":
        from lsmap.io.importing.census import import_census, read_census_path

        result = import_census(
            engine,
            actor,
            read_census_path(path),
            survey=args.survey or path.stem,
            source_name=path.name,
            dry_run=args.dry_run,
        )
        for problem in result.problems[:50]:
            print(str(problem))
        for code, name, why in result.unmatched[:50]:
            print(f"結び付かなかった区域: {code} {name}（{why}）")
        if result.other_municipalities:
            print(
                f"lsmap にない市区町村の区域 {result.other_municipalities:,} 件は読み飛ばしました"
            )
        for code, name in result.without_figures[:50]:
            print(f"統計のない町丁目: {code} {name}")
        print(result.message)
        return 0
    from lsmap.io.importing.roads import build_and_store, read_road_path

    roads = build_and_store(
        engine,
        actor,
        read_road_path(path),
        name=args.name or path.stem,
        source=path.name,
        dry_run=args.dry_run,
    )
    print(roads.message)
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    """``lsmap snapshot``: record the coverage indicators now (or the month's, once)."""
    from lsmap.coverage.history import backfill_months, ensure_monthly_snapshot, take_snapshot
    from lsmap.storage import db

    engine = _engine(args)
    today = args.today or date.today()
    if args.backfill:
        with db.transaction(engine) as session:
            taken = backfill_months(session, today, args.backfill)
        print(f"過去 {args.backfill} か月のうち {taken} か月分を記録から再構成しました")
    if args.monthly:
        taken_now = ensure_monthly_snapshot(engine, today)
        print("今月の記録をとりました" if taken_now else "今月の記録はもうあります")
    elif not args.backfill:
        with db.transaction(engine) as session:
            snapshot = take_snapshot(session, as_of=today, trigger="manual", taken_by=_cli_actor())
            print(f"{today:%Y-%m-%d} の状況を記録しました（記録 {snapshot.id}）")
    return 0


def _cli_actor() -> Any:
    from lsmap.access.planning import system_actor

    return system_actor("cli")


def cmd_bench_network(args: argparse.Namespace) -> int:
    from lsmap.bench.network import bench_network

    report = bench_network(args.nodes, args.households, args.resources, repeat=args.repeat)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def add_planning_commands(sub: Any, bench_sub: Any) -> None:
    """Register ``snapshot`` and ``bench network``."""
    from lsmap.cli.coverage import _day

    snap = sub.add_parser("snapshot", help="カバー状況の指標を記録する（推移のグラフ用）")
    snap.add_argument(
        "--monthly", action="store_true", help="今月の記録がまだなければとる（cron 用）"
    )
    snap.add_argument(
        "--backfill", type=int, metavar="N", help="過去 N か月を記録の日付から再構成する"
    )
    snap.add_argument("--today", type=_day, help="基準日 YYYY-MM-DD（既定: 今日）")
    snap.set_defaults(func=cmd_snapshot)

    run = bench_sub.add_parser("network", help="道路網に沿った距離（10万点規模）と直線距離を比べる")
    run.add_argument("--nodes", type=int, default=100_000)
    run.add_argument("--households", type=int, default=5_000)
    run.add_argument("--resources", type=int, default=100)
    run.add_argument("--repeat", type=int, default=3)
    run.set_defaults(func=cmd_bench_network)


def exit_with(message: str) -> int:
    print(f"エラー: {message}", file=sys.stderr)
    return 1
