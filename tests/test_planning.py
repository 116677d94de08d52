"""Planners' denominators, rates, breakdown and trends (issue 16).

The real 2015 census file of Kanagawa joins 座間市's 町丁目 (a fixture of Voronoi cells
around the census points, with the real KEY_CODEs, inside the real N03 boundary), by code
and, for renamed ones, by name; suppressed cells and merged areas are handled; rates are
right and never shown for a hidden numerator; snapshots give one row per district each.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import REALDATA, SAMPLE_TODAY, actor_for, district_id
from helpers import derivable_cells
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.planning import system_actor
from lsmap.coverage.breakdown import breakdown_table, category_counts, protect
from lsmap.coverage.engine import district_rows
from lsmap.coverage.history import (
    TRIGGER_LABELS,
    ensure_monthly_snapshot,
    take_snapshot,
    trend_table,
)
from lsmap.coverage.presentation import presented, presented_trends
from lsmap.coverage.rates import RATES
from lsmap.coverage.report import _parent_positions, coverage_for, csv_bytes, district_table
from lsmap.coverage.suppression import PRIMARY, VISIBLE, complementary_suppression
from lsmap.io.importing.census import import_census, name_key, read_census_path
from lsmap.io.importing.census_files import read_dbf
from lsmap.storage import db
from lsmap.storage.models import CensusStatistic, CoverageSnapshot, District

CENSUS_DBF = REALDATA / "census2015_chome_attributes" / "14-kanagawa-all.dbf"
N03 = REALDATA / "n03_kanagawa_2025" / "N03-20250101_14.shp"
ADMIN = system_actor("admin")


# ------------------------------------------------------------------ the real census file


def _zama_areas() -> pd.DataFrame:
    labels, rows, _ = read_dbf(CENSUS_DBF.read_bytes(), 200_000)
    table = pd.DataFrame(rows, columns=labels)
    zama = table[(table["KEN"] == "14") & (table["CITY"] == "216") & (table["HCODE"] == "8101")]
    zama = zama.assign(
        x=zama["X_CODE"].astype(float),
        y=zama["Y_CODE"].astype(float),
        people=zama["JINKO"].astype(int),
    )
    return zama


def _zama_town(engine: Engine) -> dict[str, int]:
    """座間市 (real N03 outline) and its 町丁目: Voronoi cells around the census points.

    Three 町丁目 carry no code and their name written differently (kanji 丁目, spaces);
    one is unknown to the census.
    """
    import geopandas as gpd

    city = gpd.read_file(N03).to_crs(4326)
    outline = shapely.union_all(city[city["N03_007"] == "14216"].geometry.to_numpy())
    zama = _zama_areas()
    points = zama.groupby("KEY_CODE").agg(
        x=("x", "first"), y=("y", "first"), name=("MOJI", "first")
    )
    cells = shapely.voronoi_polygons(
        shapely.multipoints(points[["x", "y"]].to_numpy()), extend_to=outline
    )
    ids: dict[str, int] = {}
    with db.transaction(engine) as session:
        top = District(
            code="14216",
            name="座間市",
            level="municipality",
            geom=shapely.MultiPolygon([p for p in getattr(outline, "geoms", [outline])]),
        )
        session.add(top)
        session.flush()
        renamed = {code: i for i, code in enumerate(points.index[:3])}
        for code, row in points.iterrows():
            cell = next(
                c for c in shapely.get_parts(cells) if c.covers(shapely.Point(row.x, row.y))
            )
            part = shapely.intersection(cell, outline)
            name = row["name"]
            if code in renamed:  # code unknown, name in kanji and with a space
                name = " " + re.sub(
                    r"(\d)丁目",
                    lambda m: "一二三四五六七八九"[int(m.group(1)) - 1] + "丁目",
                    __import__("unicodedata").normalize("NFKC", name),
                )
                code = f"Z-{renamed[code]}"
            district = District(
                code=code,
                name=name,
                level="neighbourhood",
                parent_id=top.id,
                geom=shapely.MultiPolygon([g for g in shapely.get_parts(part) if g.area > 0]),
            )
            session.add(district)
            session.flush()
            ids[code] = district.id
        session.add(District(code="Z-X", name="架空町", level="neighbourhood", parent_id=top.id))
    return ids


@pytest.mark.realdata
def test_real_2015_census_joins_zama_by_code_and_name(engine: Engine) -> None:
    ids = _zama_town(engine)
    parsed = read_census_path(CENSUS_DBF)  # in the limited child
    assert parsed.skipped_hcode == 10 and parsed.encoding == "cp932"
    assert parsed.fields == ["population", "households"]
    assert all(len(a.key_code) == 11 for a in parsed.areas)
    dry = import_census(
        engine, ADMIN, parsed, survey="平成27年国勢調査", source_name=CENSUS_DBF.name
    )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CensusStatistic)) == 0
    result = import_census(
        engine, ADMIN, parsed, survey="平成27年国勢調査", source_name=CENSUS_DBF.name, dry_run=False
    )
    assert (dry.by_code, dry.by_name) == (result.by_code, result.by_name)
    assert result.by_name == 3 and result.by_code == len(ids) - 3
    assert result.unmatched == [] and result.without_figures == [("Z-X", "架空町")]
    assert result.other_municipalities > 4000  # the rest of Kanagawa
    zama = _zama_areas()
    with Session(engine) as session:
        view = coverage_for(session, ADMIN, today=date(2026, 11, 1))
        table = district_rows(view.result).set_index("district_code")
        session.rollback()
    assert table.loc["14216", "census_population"] == zama["people"].sum() == 128_737
    assert table.loc["14216", "census_households"] == zama["SETAI"].astype(int).sum()
    assert table.loc["14216", "census_missing"] == 1  # 架空町
    first = zama.groupby("KEY_CODE")["people"].sum()
    code = next(c for c in first.index if c in table.index)
    assert table.loc[code, "census_population"] == first[code]


def test_names_join_across_kanji_digits_and_small_ke() -> None:
    assert name_key("南栗原４丁目") == name_key("南栗原四丁目") == name_key(" 南栗原 4丁目")
    assert name_key("茅ヶ崎十二丁目") == name_key("茅ケ崎12丁目")
    assert name_key("大字入谷") == name_key("入谷")


# ------------------------------------------------------------------ an e-Stat CSV with suppression


ESTAT_CSV = (
    "KEY_CODE,HYOSYO,CITYNAME,NAME,HTKSYORI,HTKSAKI,GASSAN,T001,T002,T003,T004,T005\r\n"
    ",,,,,,,人口総数,世帯総数,65歳以上人口,75歳以上人口,65歳以上単独世帯\r\n"
    "14999,1,検証市,検証市,0,,,3210,1300,800,400,150\r\n"
    "149990010,2,検証市,本町,0,,,2010,810,500,250,100\r\n"
    "14999001001,3,検証市,本町一丁目,0,,,1000,400,250,120,50\r\n"
    "14999001002,3,検証市,本町二丁目,0,,,1010,410,250,130,50\r\n"
    "14999002000,3,検証市,新町,0,,,1200,490,300,150,-\r\n"
    "14999003000,3,検証市,山の上,1,14999002000,,*,*,X,X,*\r\n"
    "abc,3,検証市,壊れた行,0,,,1,1,1,1,1\r\n"
)


def test_estat_csv_suppressed_cells_zero_and_totals(tmp_path: Path) -> None:
    path = tmp_path / "census.csv"
    path.write_bytes(ESTAT_CSV.encode("cp932"))
    parsed = read_census_path(path)
    areas = {a.key_code: a for a in parsed.areas}
    assert set(areas) == {"14999001001", "14999001002", "14999002000", "14999003000"}
    assert parsed.dropped_totals == 2  # the city and 本町 above its 丁目
    assert areas["14999002000"].values["elderly_alone_households"] == 0  # "-"
    hidden = areas["14999003000"]
    assert hidden.suppressed == {
        "population",
        "households",
        "aged_65",
        "aged_75",
        "elderly_alone_households",
    }
    assert all(v is None for v in hidden.values.values())
    assert [p.severity for p in parsed.problems] == ["warning"] and "KEY_CODE" in str(
        parsed.problems[0]
    )


def test_merged_dbf_pieces_are_counted_where_the_census_counts_them() -> None:
    header = ["KEY_CODE", "HCODE", "MOJI", "JINKO", "SETAI", "KIGO_D"]
    rows = [
        ["14999001000", "8101", "甲町", "100", "40", ""],
        ["14999001000", "8101", "甲町", "0", "0", "D"],  # a piece counted elsewhere
        ["14999002000", "8101", "乙町", "0", "0", "D"],  # merged as a whole
        ["14999009000", "8154", "水面", "1", "1", ""],
    ]
    from lsmap.io.importing.census_files import census_table

    parsed = census_table(header, rows, "cp932")
    areas = {a.key_code: a for a in parsed.areas}
    assert areas["14999001000"].values == {"population": 100, "households": 40}
    assert areas["14999002000"].suppressed == {"population", "households"}
    assert parsed.skipped_hcode == 1


def _census_town(engine: Engine, tmp_path: Path) -> None:
    """検証市 with 2 地区 and the four areas of :data:`ESTAT_CSV` (joined by name)."""
    with db.transaction(engine) as session:
        city = District(code="149990", name="検証市", level="municipality")
        session.add(city)
        session.flush()
        north = District(code="N", name="北地区", level="district", parent_id=city.id)
        south = District(code="S", name="南地区", level="district", parent_id=city.id)
        session.add_all([north, south])
        session.flush()
        for name, parent in (
            ("本町一丁目", north),
            ("本町二丁目", north),
            ("新町", south),
            ("山の上", south),
        ):
            session.add(
                District(code=f"T-{name}", name=name, level="neighbourhood", parent_id=parent.id)
            )
    path = tmp_path / "census.csv"
    path.write_bytes(ESTAT_CSV.encode("cp932"))
    result = import_census(
        engine, ADMIN, read_census_path(path), survey="検証", source_name="c.csv", dry_run=False
    )
    assert result.by_name == 4 and result.by_code == 0


def test_suppressed_figures_roll_up_as_counted_by_the_neighbour(
    engine: Engine, tmp_path: Path
) -> None:
    _census_town(engine, tmp_path)
    with Session(engine) as session:
        table = district_rows(coverage_for(session, ADMIN, today=date(2026, 11, 1)).result)
        session.rollback()
    census = table.set_index("district_name")
    assert census.loc["検証市", "census_population"] == 3210  # the file's own city total
    assert census.loc["南地区", "census_households"] == 490
    assert np.isnan(census.loc["山の上", "census_households"])
    assert census.loc["検証市", "census_missing"] == 0


# ------------------------------------------------------------------ rates in the sample town


def test_rates_are_right_and_none_has_a_hidden_numerator(sample_session: Session) -> None:
    admin = actor_for(sample_session, "admin")
    truth = district_table(sample_session, coverage_for(sample_session, admin, today=SAMPLE_TODAY))
    planner = actor_for(sample_session, "planner")
    shown = district_table(
        sample_session, coverage_for(sample_session, planner, today=SAMPLE_TODAY)
    )
    assert truth["census_households"].notna().all()  # the sample's census joined every area
    checked = hidden = 0
    for rate, (numerator, denominator, per) in RATES.items():
        expected = truth[numerator].astype(float) / truth[denominator] * per
        np.testing.assert_allclose(truth[rate].astype(float), expected, rtol=1e-12)
        for value, cell, exact in zip(shown[rate], shown[numerator], expected, strict=True):
            if isinstance(cell, str):
                assert value is None
                hidden += 1
            elif numerator in ("households", "watchers", "welfare_volunteers") or exact == exact:
                checked += 1
    assert hidden > 0 and checked > 0
    # The 1,000-households rate of the town: households of concern over census households.
    town = truth.set_index("district_code").loc["149990"]
    assert town["rate_households_per_1000"] == pytest.approx(
        town["households"] / town["census_households"] * 1000
    )


def test_published_table_is_ranked_with_japanese_headings_and_no_float_noise(
    sample_session: Session,
) -> None:
    planner = actor_for(sample_session, "planner")
    table = district_table(
        sample_session, coverage_for(sample_session, planner, today=SAMPLE_TODAY), "neighbourhood"
    )
    shown = presented(table, "rate_households_per_1000")
    assert list(shown.columns[:4]) == [
        "順位",
        "地区コード",
        "地区名",
        "気がかりな世帯（1,000世帯あたり）",
    ]
    assert all(
        re.fullmatch(r"[^\x00-\x7f（）%,0-9]+.*|.*[ぁ-んァ-ン一-龥].*", c) for c in shown.columns
    )
    rates = [v for v in shown["気がかりな世帯（1,000世帯あたり）"] if v is not None]
    assert rates == sorted(rates, reverse=True)
    assert set(shown["参加法人施設（CSW）（地区内）"]) <= {"あり", "なし"}
    text = csv_bytes(shown).decode("utf-8-sig")
    assert not re.search(r"\d\.\d{2,}", text)  # one decimal at most
    assert "True" not in text and "False" not in text


# ------------------------------------------------------------------ breakdown


def test_breakdown_is_protected_along_districts_and_categories(sample_session: Session) -> None:
    planner = actor_for(sample_session, "planner")
    view = coverage_for(sample_session, planner, today=SAMPLE_TODAY)
    table = district_rows(view.result)
    categories = access.planning.household_categories(sample_session, planner)
    from dataclasses import replace

    _, counts, _ = category_counts(
        replace(view.result, districts=table), categories, "household_type", None
    )
    parents = _parent_positions(table)
    margin = table["households"].to_numpy(np.int64)
    margin_status = complementary_suppression(margin, parents, 5)
    status = protect(counts, parents, margin, margin_status, True)
    assert (status[(counts > 0) & (counts < 5)] != VISIBLE).all()
    from lsmap.coverage.breakdown import published

    shown = published(counts, status)
    for j in range(counts.shape[1]):  # along the district nesting
        assert derivable_cells(counts[:, j], parents, list(shown[:, j])) == []
    tree = np.array([-1] + [0] * counts.shape[1])
    margin_shown = [
        ("<5" if s == PRIMARY else "X") if s else int(v)
        for v, s in zip(margin, margin_status, strict=True)
    ]
    for i in range(counts.shape[0]):  # across the categories of each district
        values = np.concatenate([[margin[i]], counts[i]])
        assert derivable_cells(values, tree, [margin_shown[i], *shown[i]]) == []
    east = district_id(sample_session, "149990-01")
    frame = breakdown_table(sample_session, view, east, indicator="no_watcher")
    assert list(frame.columns[:3]) == ["世帯の状況", "気がかりな世帯", "見守り者なし"]
    assert not any(str(v) in {"1", "2", "3", "4"} for v in frame["見守り者なし"])


# ------------------------------------------------------------------ snapshots and trends


def test_snapshots_monthly_once_on_demand_and_trend_csv(writable_sample_engine: Engine) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        loaded = session.scalar(select(func.count()).select_from(CoverageSnapshot))
        months = set(session.scalars(select(CoverageSnapshot.monthly_key)))
    assert loaded == 13 and "2026-11" in months and "2025-11" in months  # a year back
    assert not ensure_monthly_snapshot(engine, SAMPLE_TODAY)  # this month is recorded
    assert ensure_monthly_snapshot(engine, date(2026, 12, 1))
    with db.transaction(engine) as session:
        staff = actor_for(session, "staff_east")
        with pytest.raises(access.AccessDenied):
            take_snapshot(session, as_of=SAMPLE_TODAY, trigger="manual", taken_by=staff)
    with db.transaction(engine) as session:
        take_snapshot(
            session, as_of=SAMPLE_TODAY, trigger="manual", taken_by=actor_for(session, "planner")
        )
    with Session(engine) as session:
        admin_trends = trend_table(session, actor_for(session, "admin"))
        planner_trends = trend_table(session, actor_for(session, "planner"), "neighbourhood")
        staff_trends = trend_table(session, actor_for(session, "staff_east"))
        session.commit()
    assert len(admin_trends) == 15 * 24  # one row per district per snapshot
    assert admin_trends.groupby("district_code").size().eq(15).all()
    # Coverage grows over the year: more households recorded in November than a year ago.
    town = admin_trends[admin_trends["district_code"] == "149990"].set_index("as_of")
    assert town.loc[date(2025, 11, 30), "households"] < town.loc[date(2026, 10, 31), "households"]
    assert "<5" in set(planner_trends["no_watcher"])
    for rate, (numerator, _, _) in RATES.items():
        hidden = planner_trends[numerator].map(lambda v: isinstance(v, str))
        assert planner_trends.loc[hidden, rate].isna().all(), rate
    assert set(staff_trends["district_code"]) <= {
        "149990-01",
        *(f"149990-01-{i:02d}" for i in range(1, 10)),
    }
    csv = presented_trends(planner_trends, TRIGGER_LABELS)
    assert list(csv.columns[:4]) == ["記録日", "記録の種類", "地区コード", "地区名"]
    assert len(csv) == 15 * 20 and set(csv["記録の種類"]) == {"記録から再構成", "毎月", "手動"}
    text = csv_bytes(csv).decode("utf-8-sig")
    assert not re.search(r"\d\.\d{2,}", text)
