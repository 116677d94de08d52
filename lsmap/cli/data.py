"""The data-in-and-out commands of ``lsmap``: import, export, backup and restore (issue 6)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lsmap.access import AccessDenied
from lsmap.settings import get_settings
from lsmap.storage import db
from lsmap.vocab import AuditAction, Entity

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from lsmap.access import Actor

#: Files with more rows than this print progress while they are checked.
PROGRESS_ROWS = 2000


def _progress_printer(doing: str, unit: str) -> Callable[[int, int], None]:
    """A progress callback printing 「``doing`` done/total ``unit``」 on one stderr line."""

    def progress(done: int, total: int) -> None:
        print(
            f"\r{doing} {done}/{total} {unit}",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )

    return progress


def _engine(args: argparse.Namespace) -> Engine:
    return db.get_engine(args.database_url or get_settings().database_url)


def _fail(message: str, code: int = 1) -> int:
    print(f"エラー: {message}", file=sys.stderr)
    return code


def _actor(session: Session, username: str | None) -> Actor:
    """The acting user named by ``--as``; without it, the command line acts as administrator."""
    from lsmap.access import command_line_actor, load_actor
    from lsmap.storage.models import User

    if not username:
        return command_line_actor()
    user_id = session.scalar(select(User.id).where(User.username == username))
    actor = load_actor(session, user_id) if user_id is not None else None
    if actor is None:
        raise LookupError(f"ユーザー「{username}」はいないか、無効です")
    return actor


def cmd_import(args: argparse.Namespace) -> int:
    from lsmap.io.importing.problems import ImportRejected

    try:
        if args.template:
            return _write_template(args)
        if not args.file:
            return _fail("取り込むファイルを指定してください", 2)
        if len(args.file) > 1 and args.what != "address-reference":
            return _fail(
                "ファイルは1つだけ指定してください（複数は address-reference のときだけ）", 2
            )
        if args.what == "districts":
            return _import_districts(args)
        if args.what == "address-reference":
            return _import_reference(args)
        if args.what in ("census", "roads"):  # statistics and road network (issue 16)
            from lsmap.cli.planning import import_planning

            with db.transaction(_engine(args)) as session:
                actor = _actor(session, args.as_user)
            args.file = args.file[0]
            return import_planning(args, actor)
        if args.what == "basemap":
            return _import_basemap(args)
        return _import_list(args)
    except ImportRejected as error:
        for problem in error.problems:
            print(str(problem), file=sys.stderr)
        return _fail(error.message)
    except LookupError as error:
        return _fail(str(error))
    except AccessDenied as error:
        return _fail(error.message)


def _write_template(args: argparse.Namespace) -> int:
    import pandas as pd

    from lsmap.io.export import csv_bytes
    from lsmap.io.importing.columns import template_headers

    if args.what in ("districts", "address-reference", "basemap", "census", "roads"):
        return _fail(
            "境界・位置参照情報・背景地図・統計・道路網にはひな形がありません（ファイルをそのまま指定してください）",
            2,
        )
    if not args.output:
        return _fail("-o でひな形の保存先を指定してください", 2)
    headers = template_headers(args.what)
    Path(args.output).write_bytes(csv_bytes(pd.DataFrame(columns=headers), []))
    print(f"ひな形を書き出しました: {args.output}（列: {'、'.join(headers)}）")
    return 0


def _import_districts(args: argparse.Namespace) -> int:
    from lsmap.access import may_import
    from lsmap.io.importing.districts import import_districts
    from lsmap.vocab import DISTRICT_LEVELS

    engine = _engine(args)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        actor = _actor(session, args.as_user)
    if not may_import(actor):
        return _fail("境界を取り込めるのは管理者だけです")
    result = import_districts(
        engine,
        Path(args.file[0]),
        args.level,
        name_field=args.name_field,
        code_field=args.code_field,
        code_prefix=args.code_prefix,
        source_crs=args.crs,
        actor=actor,
        dry_run=args.dry_run,
    )
    plan = result.plan
    for problem in plan.problems:
        print(str(problem))
    print(
        f"座標参照系: {plan.source_crs} → EPSG:4326　名前の列: {plan.name_field}　コードの列: "
        f"{plan.code_field or '（連番）'}"
    )
    levels = {DISTRICT_LEVELS.get(d.level, d.level) for d in plan.districts}
    if args.dry_run:
        print(
            f"試行: {plan.features} 件の図形から {len(plan.districts)} "
            f"区域（{'・'.join(sorted(levels))}）を取り込めます。修復 {len(plan.repaired)} 件"
        )
    else:
        print(
            f"取り込みました: 新規 {result.created}、更新 {result.updated}、上位区域の設定 "
            f"{result.nested}、修復 {len(plan.repaired)}"
        )
    return 0


def _import_basemap(args: argparse.Namespace) -> int:
    from lsmap.cli.basemap import import_basemap_command

    engine = _engine(args)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        actor = _actor(session, args.as_user)
    args.file = args.file[0]
    return import_basemap_command(args, actor)


def _import_list(args: argparse.Namespace) -> int:
    from lsmap.io.importing.apply import import_list_table
    from lsmap.io.importing.readers import read_bytes
    from lsmap.io.importing.sandbox import parse_table

    overrides: dict[str, str] = {}
    for item in args.column or []:
        header, sep, field = item.partition("=")
        if not sep:
            return _fail(f"--column は 列名=項目 の形で指定してください（{item}）", 2)
        overrides[header] = field
    path = Path(args.file[0])
    table = parse_table(read_bytes(path), path.name)
    engine = _engine(args)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        actor = _actor(session, args.as_user)

    progress = _progress_printer("確認中", "行")
    result = import_list_table(
        engine,
        actor,
        args.what,
        table,
        overrides=overrides,
        default_kind=args.kind,
        dry_run=args.dry_run,
        partial=args.partial,
        progress=progress if len(table.rows) > PROGRESS_ROWS else None,
    )
    _print_list_result(args, result, path, table)
    return 0


def _print_list_result(args: argparse.Namespace, result, path: Path, table: Any) -> None:
    """Problems, the mapping, counts by outcome and match level; the rejected-rows file and
    the per-row report when asked for."""
    from lsmap.io.importing.rejected import outcome_rows, rejected_file

    plan = result.plan
    for problem in plan.problems:
        print(str(problem))
    mapped = "、".join(f"{h}→{f}" for h, f in plan.mapping.items())
    print(f"文字コード: {plan.encoding}　列の対応（{plan.mapping_source}）: {mapped}")
    if plan.ignored_columns:
        print("使わない列: " + "、".join(plan.ignored_columns))
    levels = "、".join(f"{label} {n}" for label, n in plan.level_counts().items())
    if levels:
        print(f"位置の精度（取り込む行）: {levels}")
    rejected = f"、問題のため除外 {len(result.rejected)} 行" if result.rejected else ""
    if args.dry_run:
        print(
            f"試行: {plan.total_rows} 行のうち {len(plan.rows)} 行を取り込めます"
            f"（重複などで除外 {plan.skipped} 行{rejected}）。データベースは変えていません"
        )
    else:
        counts = "、".join(f"{k} {v}" for k, v in result.created.items())
        print(f"取り込みました: {counts}（重複などで除外 {plan.skipped} 行{rejected}）")
    if result.rejected:
        data, name, _ = rejected_file(table, result.rejected, path.name)
        target = Path(args.rejected) if args.rejected else path.with_name(name)
        target.write_bytes(data)
        print(
            f"問題のある行（{len(result.rejected)} 行）を書き出しました: {target}"
            "（直して取り込み直せます）"
        )
    if args.report:
        import pandas as pd

        from lsmap.io.export import csv_bytes

        Path(args.report).write_bytes(csv_bytes(pd.DataFrame(outcome_rows(plan)), []))
        print(f"全行の結果を書き出しました: {args.report}")


def _import_reference(args: argparse.Namespace) -> int:
    from lsmap.io.geocoding.reference import import_reference

    files = [(Path(f).name, Path(f).read_bytes()) for f in args.file]
    if any(not data for _, data in files):
        return _fail("空のファイルがあります", 2)
    engine = _engine(args)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        actor = _actor(session, args.as_user)

    progress = _progress_printer("書き込み中", "件")
    plan = import_reference(
        engine, actor, files, cities=args.city, every_city=args.every_city,
        dry_run=args.dry_run, progress=progress,
    )  # fmt: skip
    for problem in plan.problems:
        print(str(problem))
    verb = "試行（データベースは変えていません）" if args.dry_run else "取り込みました"
    print(f"{verb}: {plan.summary()}（ファイル: {'、'.join(plan.files)}）")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from lsmap.access import AccessDenied
    from lsmap.io.export import export_layer

    engine = _engine(args)
    try:
        with db.transaction(engine) as session:
            actor = _actor(session, args.as_user)
            result = export_layer(session, actor, args.layer, args.format, Path(args.output))
    except (AccessDenied, LookupError) as error:
        return _fail(getattr(error, "message", str(error)))
    except OSError as error:
        return _fail(f"書き出せません: {error.strerror or error}")
    print(f"{result.rows} 行を書き出しました: {result.path}")
    for note in result.notes:
        print(f"注記: {note}")
    return 0


def _passphrase(confirm: bool) -> str:
    """The passphrase from the environment or the terminal; a new one (``confirm``) is
    checked for length before it is asked again."""
    from lsmap.io.backup import MIN_PASSPHRASE, PASSPHRASE_ENV, check_passphrase

    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        if confirm:
            check_passphrase(value)
        return value
    if not sys.stdin.isatty():
        raise LookupError(
            f"パスフレーズを環境変数 {PASSPHRASE_ENV} で渡すか、端末で入力してください"
        )
    value = getpass.getpass(
        f"パスフレーズ（{MIN_PASSPHRASE} 文字以上）: " if confirm else "パスフレーズ: "
    )
    if confirm:
        check_passphrase(value)
        if getpass.getpass("もう一度: ") != value:
            raise LookupError("パスフレーズが一致しません")
    return value


def cmd_backup(args: argparse.Namespace) -> int:
    from lsmap.io.backup import BackupError, backup
    from lsmap.storage import audit

    engine = _engine(args)
    try:
        summary = backup(engine, Path(args.path), _passphrase(confirm=True))
    except (BackupError, LookupError) as error:
        return _fail(getattr(error, "message", str(error)))
    except OSError as error:
        return _fail(f"書き出せません: {error.strerror or error}")
    with db.transaction(engine) as session:
        audit.log(
            session,
            _actor(session, None),
            AuditAction.BACKUP,
            Entity.DATABASE,
            (),
            rows=sum(summary.counts.values()),
        )
    print(
        f"バックアップしました: {args.path}（スキーマ {summary.revision}、"
        f"{sum(summary.counts.values())} 行）"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from lsmap.io.backup import BackupError, restore
    from lsmap.storage import audit

    engine = _engine(args)
    try:
        summary = restore(engine, Path(args.path), _passphrase(confirm=False))
    except (BackupError, LookupError) as error:
        return _fail(getattr(error, "message", str(error)))
    with db.transaction(engine) as session:
        audit.log(
            session,
            _actor(session, None),
            AuditAction.RESTORE,
            Entity.DATABASE,
            (),
            created_at=summary.created_at,
        )
    for table, count in summary.counts.items():
        print(f"  {table}: {count}")
    print(f"復元しました（{summary.created_at} 時点のバックアップ）")
    return 0


def _add_import_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``lsmap import``: what, files, and the options of boundaries and lists."""
    imp = sub.add_parser(
        "import", help="境界・一覧（世帯・見守り者・資源）・背景地図（道路・川など）を取り込む"
    )
    imp.add_argument(
        "what",
        choices=[
            "districts",
            "households",
            "watchers",
            "resources",
            "links",
            "contacts",
            "address-reference",
            "census",
            "roads",
            "basemap",
        ],
    )
    imp.add_argument(
        "file",
        nargs="*",
        help="GeoJSON / zip シェープファイル / GeoPackage、CSV / xlsx、位置参照情報の CSV か zip",
    )
    imp.add_argument(
        "--level",
        help="境界の階層: municipality（市町村）/ district（地区）/ neighbourhood（町内）",
    )
    imp.add_argument("--name-field", help="境界の名前の列")
    imp.add_argument("--code-field", help="境界のコードの列")
    imp.add_argument("--code-prefix", help="コードの前に付ける文字（別ファイルのコードと区別する）")
    imp.add_argument("--crs", help="ファイルに座標参照系がないときの指定（例: EPSG:6676）")
    _add_import_list_options(imp)
    imp.set_defaults(func=cmd_import)


def _add_import_list_options(imp: argparse.ArgumentParser) -> None:
    """The options of ``lsmap import`` for lists, the background map and statistics."""
    imp.add_argument(
        "--kind",
        help="資源の種類（facility, salon, food_bank, support_centre, other）、または背景地図の"
        "種類（roads, railways, rivers, buildings, parks, schools）",
    )
    imp.add_argument(
        "--credit", help="背景地図の出典（地図と印刷に表示。例: 出典：基盤地図情報（国土地理院））"
    )
    imp.add_argument("--class-field", help="背景地図の種別の列（例: highway。主な道路を太く描く）")
    imp.add_argument(
        "--column",
        action="append",
        help="列の対応付け 列名=項目（例: 施設名=name）。項目を空にすると使わない",
    )
    imp.add_argument("--dry-run", action="store_true", help="確認だけして書き込まない")
    imp.add_argument(
        "--partial",
        action="store_true",
        help="問題のない行だけ取り込む（問題のある行は --rejected のファイルに書き出す）",
    )
    imp.add_argument("--rejected", help="問題のある行の保存先（既定: 元のファイルの隣）")
    imp.add_argument("--report", help="全行の結果（取り込む・除外・位置の精度）の CSV の保存先")
    imp.add_argument(
        "--city", action="append", help="位置参照情報から取り込む市区町村（既定: 境界の市町村）"
    )
    imp.add_argument(
        "--every-city", action="store_true", help="位置参照情報のすべての市区町村を取り込む"
    )
    imp.add_argument("--template", action="store_true", help="見出しだけの CSV ひな形を書き出す")
    imp.add_argument("-o", "--output", help="ひな形の保存先")
    imp.add_argument("--survey", help="統計の名前（例: 令和2年国勢調査）。census のとき")
    imp.add_argument("--name", help="道路網の名前。roads のとき")
    imp.add_argument(
        "--as", dest="as_user", help="取り込むユーザー名（既定: 管理者としてのコマンドライン）"
    )


def add_data_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``import``, ``export``, ``backup`` and ``restore`` on the ``lsmap`` parser."""
    from lsmap.access import EXPORT_LAYERS
    from lsmap.io.export import FORMATS

    _add_import_command(sub)
    exp = sub.add_parser("export", help="レイヤを書き出す（ユーザーの権限の範囲だけ）")
    exp.add_argument("layer", choices=EXPORT_LAYERS)
    exp.add_argument("--format", choices=FORMATS, required=True)
    exp.add_argument(
        "--as", dest="as_user", required=True, help="書き出すユーザー名（その権限で絞り込む）"
    )
    exp.add_argument("-o", "--output", required=True)
    exp.set_defaults(func=cmd_export)

    bak = sub.add_parser("backup", help="暗号化したバックアップを作る（アプリ稼働中でも可）")
    bak.add_argument("path")
    bak.set_defaults(func=cmd_backup)
    res = sub.add_parser("restore", help="バックアップを空のデータベースに復元する")
    res.add_argument("path")
    res.set_defaults(func=cmd_restore)
