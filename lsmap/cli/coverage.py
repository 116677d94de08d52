"""``lsmap coverage`` and ``lsmap bench coverage``: coverage on the command line.

Without ``--as`` the command acts as an administrator (whoever can run it can read the
database anyway); with ``--as USER`` it sees exactly what that user sees in the app, so
``--as planner`` prints counts 1–4 as "<5" (and counts that would give one away through a
parent total as "X"), with a radius of at least 500 m. Every run is audited.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select

from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS
from lsmap.vocab import DISTRICT_LEVELS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日付「{text}」は YYYY-MM-DD の形で指定してください"
        ) from None


def _actor(session: Any, username: str | None) -> Any:
    """The acting user: ``--as USER`` read from the database, else the command line's admin."""
    from lsmap.access import command_line_actor, load_actor
    from lsmap.storage.models import User

    if username is None:
        return command_line_actor()
    user_id = session.scalar(
        select(User.id).where(User.username == username, User.deleted_at.is_(None))
    )
    actor = load_actor(session, user_id) if user_id is not None else None
    if actor is None:
        raise LookupError(f"ユーザー「{username}」は存在しないか、無効です")
    return actor


def rows_as_json(table: pd.DataFrame) -> str:
    """Rows as a JSON array (NaN as null; numpy scalars as plain numbers)."""
    records = table.astype(object).where(pd.notna(table), None).to_dict("records")

    def plain(value: Any) -> Any:
        return value.item() if hasattr(value, "item") else str(value)

    return json.dumps(records, ensure_ascii=False, default=plain, indent=1)


def cmd_coverage(args: argparse.Namespace) -> int:
    from lsmap.coverage.report import coverage_for, csv_bytes, district_table
    from lsmap.settings import get_settings
    from lsmap.storage import db

    settings = DEFAULT_COVERAGE_SETTINGS.with_overrides(
        radius_m=args.radius_m,
        load_threshold=args.load_threshold,
        stale_default_days=args.stale_days,
        elderly_age=args.elderly_age,
    )
    engine = db.get_engine(args.database_url or get_settings().database_url)
    try:
        with db.transaction(engine) as session:
            actor = _actor(session, args.as_user)
            view = coverage_for(
                session,
                actor,
                today=args.today,
                settings=settings,
                straight_line=args.straight_line,
            )
            table = district_table(session, view, args.level)
    except LookupError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    print(f"注意: {view.distance_note}", file=sys.stderr)
    if view.policy.radius_raised:
        print(
            f"注意: 計画担当の距離の基準は {view.policy.min_radius_m:g} m 以上です。"
            f"{view.policy.radius_m:g} m で計算しました。",
            file=sys.stderr,
        )
    table = table.drop(
        columns=[c for c in table.columns if c.startswith("share_")] if args.no_shares else []
    )
    if args.format == "csv":
        sys.stdout.write(csv_bytes(table, bom=False).decode("utf-8"))
    else:
        print(rows_as_json(table))
    return 0


def cmd_bench_coverage(args: argparse.Namespace) -> int:
    from lsmap.bench.coverage import bench_coverage

    report = bench_coverage(
        args.households,
        args.watchers,
        args.resources,
        args.districts,
        repeat=args.repeat,
        plain_repeat=args.plain_repeat,
        seed=args.seed,
    )
    print(json.dumps(report, ensure_ascii=False))
    return 0


def _add_coverage_command(sub: Any) -> None:
    """``lsmap coverage``: the per-district table, with its settings."""
    coverage = sub.add_parser("coverage", help="地区ごとの見守りと資源のカバー状況（空白地帯）")
    coverage.add_argument("--level", choices=list(DISTRICT_LEVELS), help="この階層の地区だけを出力")
    coverage.add_argument(
        "--radius-m",
        type=float,
        help=f"資源までの距離の基準（既定 {DEFAULT_COVERAGE_SETTINGS.radius_m:g} m）",
    )
    coverage.add_argument("--load-threshold", type=int, help="見守り者の負担の上限（世帯数）")
    coverage.add_argument(
        "--stale-days", type=int, help="頻度の決まっていない世帯で連絡途絶とみなす日数"
    )
    coverage.add_argument("--elderly-age", type=int, help="高齢の見守り者とみなす年齢")
    coverage.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="このユーザーとして見る（既定: 管理者としてすべて）",
    )
    coverage.add_argument("--today", type=_day, help="基準日 YYYY-MM-DD（既定: 今日）")
    coverage.add_argument("--format", choices=["json", "csv"], default="json")
    coverage.add_argument("--no-shares", action="store_true", help="割合の列を省く")
    coverage.add_argument(
        "--straight-line",
        action="store_true",
        help="道路網があっても直線距離で計算する（既定: 道路網があれば道に沿った距離）",
    )
    coverage.set_defaults(func=cmd_coverage)


def add_coverage_commands(sub: Any) -> Any:
    """Register ``coverage`` and ``bench coverage`` on the ``lsmap`` subcommand parser;
    returns the ``bench`` subcommand parser for further benchmarks."""
    _add_coverage_command(sub)

    bench = sub.add_parser("bench", help="性能測定")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    run = bench_sub.add_parser(
        "coverage", help="合成データでカバー計算と geopandas の素直な実装を比べる"
    )
    run.add_argument("--households", type=int, default=200_000)
    run.add_argument("--watchers", type=int, default=50_000)
    run.add_argument("--resources", type=int, default=10_000)
    run.add_argument("--districts", type=int, default=3_000)
    run.add_argument("--repeat", type=int, default=5, help="エンジンの計測回数（中央値を報告）")
    run.add_argument(
        "--plain-repeat",
        type=int,
        default=None,
        help="geopandas 版の計測回数（既定: --repeat と同じ）",
    )
    run.add_argument("--seed", type=int, default=5)
    run.set_defaults(func=cmd_bench_coverage)

    from lsmap.bench.maps import add_bench_map_command  # map build and payload (issue 7)

    add_bench_map_command(bench_sub)

    from lsmap.bench.imports import add_bench_import_command  # list imports (issue 17)

    add_bench_import_command(bench_sub)

    from lsmap.cli.planning import add_planning_commands  # snapshots, walking distance (issue 16)

    add_planning_commands(sub, bench_sub)

    return bench_sub
