"""The ``lsmap`` command line: database, sample data and accounts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import select

from lsmap import db
from lsmap.settings import get_settings


def _engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
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


def cmd_sample_load(args: argparse.Namespace) -> int:
    from lsmap.sample import load_sample

    engine = _engine(args)
    db.upgrade(engine)
    report = load_sample(engine)
    if report.created:
        print("サンプルの町「さくら台市」を読み込みました:")
    else:
        print("サンプルの町は読み込み済みです（何も追加していません）:")
    for table, count in report.counts.items():
        print(f"  {table}: {count}")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from lsmap.accounts import AccountError, create_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    if not password:
        print("パスワードを標準入力から渡してください（--password-stdin）", file=sys.stderr)
        return 2
    try:
        with db.transaction(_engine(args)) as session:
            create_user(session, args.name, args.role, password, args.district or [], args.display_name or "")
    except AccountError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    print(f"ユーザー「{args.name}」を作成しました")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from lsmap.models import User
    from lsmap.vocab import ROLES

    with db.transaction(_engine(args)) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            codes = ",".join(d.code for d in user.districts) or "-"
            state = "有効" if user.active else "無効"
            print(f"{user.username}\t{ROLES.get(user.role, user.role)}\t{codes}\t{state}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lsmap`` command."""
    parser = argparse.ArgumentParser(prog="lsmap", description="lsmap: 支え合い福祉マップ")
    parser.add_argument(
        "--database-url", help="データベースURL（既定: 環境変数 LSMAP_DATABASE_URL または var/lsmap.sqlite）"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    db_parser = sub.add_parser("db", help="データベースの作成・更新")
    db_sub = db_parser.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="スキーマを最新にする").set_defaults(func=cmd_db_upgrade)
    db_sub.add_parser("current", help="現在のリビジョンを表示").set_defaults(func=cmd_db_current)

    sample = sub.add_parser("sample", help="サンプルデータ")
    sample_sub = sample.add_subparsers(dest="sample_command", required=True)
    sample_sub.add_parser("load", help="架空の町のサンプルを読み込む（再実行しても重複しない）").set_defaults(
        func=cmd_sample_load
    )

    users = sub.add_parser("users", help="ユーザー管理")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="ユーザーを追加")
    add.add_argument("name")
    add.add_argument("--role", required=True)
    add.add_argument("--district", action="append", help="担当地区コード（複数可）")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_users_add)
    users_sub.add_parser("list", help="ユーザー一覧").set_defaults(func=cmd_users_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lsmap`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
