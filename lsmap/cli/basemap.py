"""The background map commands: ``lsmap import basemap`` and ``lsmap basemap …`` (issue 14)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lsmap.settings import get_settings
from lsmap.storage import db

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lsmap.access import Actor


def _engine(args: argparse.Namespace) -> Engine:
    return db.get_engine(args.database_url or get_settings().database_url)


def _cli_actor() -> Actor:
    """Whoever runs the command line can write the database: it acts as administrator."""
    from lsmap.access import Actor
    from lsmap.vocab import Role

    return Actor(0, "cli", "コマンドライン", Role.ADMIN, frozenset())


def import_basemap_command(args: argparse.Namespace, actor: Actor) -> int:
    """``lsmap import basemap FILE --kind KIND [--credit …]`` (called by ``lsmap import``)."""
    from lsmap.io.importing.basemap import import_basemap
    from lsmap.vocab import BASEMAP_KINDS

    if not args.kind:
        kinds = "|".join(BASEMAP_KINDS)
        print(f"エラー: --kind で背景地図の種類（{kinds}）を指定してください", file=sys.stderr)
        return 2
    result = import_basemap(
        _engine(args),
        actor,
        Path(args.file),
        args.kind,
        credit=args.credit or "",
        name_field=args.name_field,
        class_field=args.class_field,
        source_crs=args.crs,
        dry_run=args.dry_run,
    )
    plan = result.plan
    for problem in plan.problems:
        print(str(problem))
    fields = (
        f"名前の列: {plan.name_field or '（なし）'}　種別の列: {plan.class_field or '（なし）'}"
    )
    print(f"座標参照系: {plan.source_crs} → EPSG:4326　{fields}")
    print(f"クレジット: {plan.credit}")
    replaced = f"（同じファイルから取り込んだ {result.replaced:,} 件を置き換え）"
    if args.dry_run:
        print(f"試行: {plan.summary()} を取り込めます{replaced if result.replaced else ''}")
    else:
        print(f"取り込みました: {plan.summary()}{replaced if result.replaced else ''}")
    return 0


def cmd_basemap_tiles(args: argparse.Namespace) -> int:
    """``lsmap basemap tiles FILE.mbtiles``: serve a raster tile set from the app itself."""
    from lsmap.io.importing.problems import ImportRejected
    from lsmap.io.tiles import export_mbtiles
    from lsmap.maps.background import tiles_dir
    from lsmap.storage import audit

    try:
        info = export_mbtiles(Path(args.file), tiles_dir(), args.credit or "")
    except ImportRejected as error:
        print(f"エラー: {error.message}", file=sys.stderr)
        return 1
    engine = _engine(args)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        audit.log(
            session,
            _cli_actor(),
            "basemap_tiles",
            "basemap",
            (),
            tiles=info.tiles,
            format=info.format,
        )
    print(
        f"タイル {info.tiles:,} 枚（{info.format}、ズーム {info.minzoom}〜{info.maxzoom}、"
        f"{info.bytes / 1048576:.1f} MB）を {tiles_dir()} に書き出しました。"
        "LSMAP_BASEMAP=local（既定）で地図の背景になります。"
    )
    return 0


def cmd_basemap_list(args: argparse.Namespace) -> int:
    """``lsmap basemap list``: the imported layers and the local tile set."""
    from lsmap.access.basemap import basemap_layers
    from lsmap.maps.background import local_tiles
    from lsmap.vocab import BASEMAP_KINDS

    with db.transaction(_engine(args)) as session:
        layers = basemap_layers(session, _cli_actor())
    for layer in layers:
        print(
            f"{BASEMAP_KINDS.get(layer.kind, layer.kind)}\t{layer.source}\t{layer.features:,} "
            f"件\t{layer.credit}"
        )
    if not layers:
        print("取り込んだ背景地図はありません（地区の境界だけの地図になります）")
    tiles = local_tiles()
    if tiles:
        print(
            f"タイル: {tiles.get('tiles', 0):,} 枚（{tiles.get('format')}）\t{tiles.get('credit')}"
        )
    return 0


def cmd_basemap_remove(args: argparse.Namespace) -> int:
    """``lsmap basemap remove --kind KIND --source FILE``: take one layer off the map."""
    from lsmap.io.importing.basemap import parse_kind, remove_basemap_layer
    from lsmap.io.importing.problems import ImportRejected

    try:
        count = remove_basemap_layer(
            _engine(args), _cli_actor(), parse_kind(args.kind), args.source
        )
    except ImportRejected as error:
        print(f"エラー: {error.message}", file=sys.stderr)
        return 1
    print(f"{count:,} 件を地図から外しました（記録は残っています）")
    return 0


def add_basemap_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``basemap tiles|list|remove`` on the ``lsmap`` parser."""
    basemap = sub.add_parser("basemap", help="背景地図（タイル・取り込んだレイヤ）")
    basemap_sub = basemap.add_subparsers(dest="basemap_command", required=True)
    tiles = basemap_sub.add_parser(
        "tiles", help="ラスタ MBTiles をアプリの static/tiles に書き出して背景にする"
    )
    tiles.add_argument("file", help="MBTiles ファイル（PNG・JPEG・WebP のタイル）")
    tiles.add_argument("--credit", help="地図に表示する出典（既定: ファイルの attribution）")
    tiles.set_defaults(func=cmd_basemap_tiles)
    basemap_sub.add_parser("list", help="取り込んだ背景地図の一覧").set_defaults(
        func=cmd_basemap_list
    )
    remove = basemap_sub.add_parser("remove", help="取り込んだ背景地図のレイヤを外す")
    remove.add_argument("--kind", required=True, help="roads, railways, rivers, buildings …")
    remove.add_argument("--source", required=True, help="取り込んだファイルの名前")
    remove.set_defaults(func=cmd_basemap_remove)
