"""The ``lsmap`` command line: database, sample data and accounts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from lsmap.settings import LOCAL_TZ, get_settings, local_time
from lsmap.storage import db
from lsmap.vocab import AuditAction, Entity

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from lsmap.access import Actor


def _engine(args: argparse.Namespace) -> Engine:
    return db.get_engine(args.database_url or get_settings().database_url)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    engine = _engine(args)
    db.upgrade(engine)
    print(f"データベースは最新です（リビジョン {db.current_revision(engine)}）")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    revision = db.current_revision(_engine(args))
    print(revision or "（未作成）")
    return 0


def cmd_db_grant_app(args: argparse.Namespace) -> int:
    from lsmap.storage.roles import RoleError, grant_app

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        statements = grant_app(_engine(args), args.role, create=args.create, password=password)
    except RoleError as error:
        print(f"エラー: {error.message}", file=sys.stderr)
        return 1
    print(
        f"ロール「{args.role}」にアプリの権限だけを与えました（{len(statements)} 文）。"
        "監査ログは読み取りと追加のみ、TRUNCATE・表の変更・削除はできません。"
    )
    print("スキーマを更新（lsmap db upgrade）したら、もう一度実行してください。")
    return 0


def cmd_sample_load(args: argparse.Namespace) -> int:
    from lsmap.io.sample import RealUsersPresent, load_sample

    engine = _engine(args)
    db.upgrade(engine)
    try:
        report = load_sample(engine, force=args.force, with_reference=True)
    except RealUsersPresent as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    if report.created:
        print("サンプルの町「さくら台市」を読み込みました:")
    else:
        print("サンプルの町は読み込み済みです（何も追加していません）:")
    for table, count in report.counts.items():
        print(f"  {table}: {count}")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from lsmap.access.accounts import AccountError, create_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    if not password and args.watcher is None:  # a watcher may sign in with one-time codes
        print("パスワードを標準入力から渡してください（--password-stdin）", file=sys.stderr)
        return 2
    try:
        with db.transaction(_engine(args)) as session:
            create_user(
                session,
                args.name,
                args.role,
                password or "",
                args.district or [],
                args.display_name or "",
                watcher_id=args.watcher,
            )
    except AccountError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    print(f"ユーザー「{args.name}」を作成しました")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from lsmap.storage.models import User
    from lsmap.vocab import ROLES

    with db.transaction(_engine(args)) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            codes = ",".join(sorted(d.code for d in user.districts)) or "-"
            state = "有効" if user.active else "無効"
            print(f"{user.username}\t{ROLES.get(user.role, user.role)}\t{codes}\t{state}")
    return 0


def cmd_users_set_active(args: argparse.Namespace) -> int:
    from lsmap.access.accounts import AccountError, set_active

    active = args.users_command == "enable"
    try:
        with db.transaction(_engine(args)) as session:
            set_active(session, args.name, active)
    except AccountError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    print(f"ユーザー「{args.name}」を{'有効' if active else '無効'}にしました")
    return 0


def cmd_users_assign(args: argparse.Namespace) -> int:
    from lsmap.access.accounts import AccountError, assign_districts

    try:
        with db.transaction(_engine(args)) as session:
            assign_districts(session, args.name, args.district)
    except AccountError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    print(
        f"ユーザー「{args.name}」の担当地区を {', '.join(args.district)} "
        "にしました（次の画面表示から有効）"
    )
    return 0


def _parse_day(text: str) -> datetime:
    """A date or date-time from the command line; without a zone it is Japan time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日付「{text}」は YYYY-MM-DD の形で指定してください"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def cmd_audit(args: argparse.Namespace) -> int:
    from lsmap import access
    from lsmap.storage import audit

    with db.transaction(_engine(args)) as session:
        actor = _system_admin(session)
        entries = access.audit_entries(
            session,
            actor,
            since=args.since,
            until=args.until,
            username=args.user,
            action=args.action,
        )
        audit.log(
            session, actor, AuditAction.AUDIT_EXPORT, Entity.AUDIT_LOG, (), count=len(entries)
        )
    if args.format == "csv":
        sys.stdout.write(audit.entries_csv(entries))
    else:
        for entry in entries:
            ids = " ".join(str(i) for i in entry.entity_ids or [])
            print(
                f"{local_time(entry.at):%Y-%m-%d %H:%M:%S}\t{entry.username}\t{entry.action}\t"
                f"{entry.entity}\t{ids}"
            )
    return 0


def cmd_bench_audit(args: argparse.Namespace) -> int:
    import json

    from lsmap.bench.audit import BenchError, bench_audit
    from lsmap.records.history import record_history

    try:  # only the URL given on the command line: never the app's own database
        report = bench_audit(
            args.database_url, args.rows, history=record_history, repeat=args.repeat, seed=args.seed
        )
    except BenchError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def _add_bench_audit(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = bench_sub.add_parser(
        "audit",
        help="監査ログの件数が多いときの記録ごとの履歴の読み出し時間を測る"
        "（--database-url がなければ一時的な SQLite、あれば空のデータベースに書き込む）",
    )
    run.add_argument("--rows", type=int, default=1_000_000, help="監査ログの件数")
    run.add_argument("--repeat", type=int, default=20, help="計測回数（中央値を報告）")
    run.add_argument("--seed", type=int, default=11)
    run.set_defaults(func=cmd_bench_audit)


def _system_admin(session: Session) -> Actor:
    """The command line acts as an administrator (whoever can run it can read the DB file)."""
    from lsmap.access import command_line_actor

    return command_line_actor()


def _add_db_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``lsmap db upgrade | current | grant-app``."""
    db_parser = sub.add_parser("db", help="データベースの作成・更新")
    db_sub = db_parser.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="スキーマを最新にする").set_defaults(func=cmd_db_upgrade)
    db_sub.add_parser("current", help="現在のリビジョンを表示").set_defaults(func=cmd_db_current)
    grant = db_sub.add_parser(
        "grant-app", help="PostgreSQL: アプリ用ロールに必要な権限だけを与える（所有者が実行）"
    )
    grant.add_argument("role", help="アプリが接続に使うロール名")
    grant.add_argument(
        "--create", action="store_true", help="ロールがなければ LOGIN ロールとして作る"
    )
    grant.add_argument(
        "--password-stdin", action="store_true", help="--create のパスワードを標準入力から読む"
    )
    grant.set_defaults(func=cmd_db_grant_app)


def _add_sample_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``lsmap sample load``."""
    sample = sub.add_parser("sample", help="サンプルデータ")
    sample_sub = sample.add_subparsers(dest="sample_command", required=True)
    load = sample_sub.add_parser(
        "load", help="架空の町のサンプルを読み込む（再実行しても重複しない）"
    )
    load.add_argument(
        "--force",
        action="store_true",
        help="デモ以外のユーザーがいても読み込む（共通パスワードのデモ用アカウントが追加されます）",
    )
    load.set_defaults(func=cmd_sample_load)


def _add_users_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``lsmap users add | list | disable | enable | assign``."""
    users = sub.add_parser("users", help="ユーザー管理")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="ユーザーを追加")
    add.add_argument("name")
    add.add_argument("--role", required=True)
    add.add_argument("--district", action="append", help="担当地区コード（複数可）")
    add.add_argument("--display-name")
    add.add_argument(
        "--watcher", type=int, help="見守り者の番号（--role watcher のとき。パスワードは省略可）"
    )
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_users_add)
    users_sub.add_parser("list", help="ユーザー一覧").set_defaults(func=cmd_users_list)
    for verb, text in (
        ("disable", "ユーザーを無効にする（ログイン中のセッションも終了）"),
        ("enable", "ユーザーを有効に戻す"),
    ):
        toggle = users_sub.add_parser(verb, help=text)
        toggle.add_argument("name")
        toggle.set_defaults(func=cmd_users_set_active)
    assign = users_sub.add_parser("assign", help="担当地区を置き換える")
    assign.add_argument("name")
    assign.add_argument(
        "--district", action="append", required=True, help="担当地区コード（複数可）"
    )
    assign.set_defaults(func=cmd_users_assign)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lsmap`` command."""
    parser = argparse.ArgumentParser(prog="lsmap", description="lsmap: 支え合い福祉マップ")
    parser.add_argument(
        "--database-url",
        help="データベースURL（既定: 環境変数 LSMAP_DATABASE_URL または var/lsmap.sqlite）",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    _add_db_commands(sub)
    _add_sample_commands(sub)
    _add_users_commands(sub)
    audit_parser = sub.add_parser("audit", help="監査ログを出力する")
    audit_parser.add_argument("--since", type=_parse_day, help="この日時以降（YYYY-MM-DD）")
    audit_parser.add_argument("--until", type=_parse_day, help="この日時より前（YYYY-MM-DD）")
    audit_parser.add_argument("--user", help="ユーザー名で絞り込む")
    audit_parser.add_argument("--action", help="操作で絞り込む（view_record, export など）")
    audit_parser.add_argument("--format", choices=["csv", "text"], default="text")
    audit_parser.set_defaults(func=cmd_audit)

    from lsmap.cli.coverage import add_coverage_commands  # coverage and bench (issue 5)

    bench_sub = add_coverage_commands(sub)
    _add_bench_audit(bench_sub)

    from lsmap.cli.data import add_data_commands  # import, export, backup, restore (issue 6)

    add_data_commands(sub)

    from lsmap.cli.basemap import add_basemap_commands  # background map tiles (issue 14)

    add_basemap_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lsmap`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
