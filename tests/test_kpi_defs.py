"""kpi_defs.yaml: generated part rewritten by builds, overrides never touched, broken overrides refused."""
import duckdb
import pytest
import yaml

from etl import kpi_defs, settings
from etl.build import build, collect
from etl.errors import DefinitionsError


def with_overrides(path, overrides: dict) -> None:
    """Replace the overrides section (only) of a definitions file."""
    text = path.read_text(encoding="utf-8")
    head, tail = text.split(kpi_defs.MARKER)
    comments = head[: head.index("\noverrides:") + 1]
    head = comments + yaml.safe_dump({"overrides": overrides}, allow_unicode=True, sort_keys=False) + "\n"
    path.write_text(head + kpi_defs.MARKER + tail, encoding="utf-8")


def test_committed_definitions_are_up_to_date(tmp_path):
    """The generated part of the committed kpi_defs.yaml is exactly what the sources give."""
    copy = tmp_path / "kpi_defs.yaml"
    copy.write_bytes(settings.DEFAULT_KPI_DEFS.read_bytes())
    _, meta = collect(settings.SOURCES_DIR, copy, write_defs=True)
    assert not meta["defs_changed"], "run `shinchoku build` and commit kpi_defs.yaml"


def test_ids_follow_the_contract(defs):
    _, generated = kpi_defs.read(defs)
    assert "M15-P2" in generated and "M76-P2" in generated and "S01-K3" in generated
    assert generated["M15-P2"]["target_value"] == 4
    assert all(k[0] in "MS" for k in generated)


def test_override_is_applied_visible_and_survives_rebuilds(tmp_path, defs):
    with_overrides(defs, {"M37-E1": {"target_value": 30000, "comparator": "eq", "reason": "所管課に確認済み"}})
    before = defs.read_text(encoding="utf-8").split(kpi_defs.MARKER)[0]
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    build(warehouse=wh, defs_path=defs)
    assert defs.read_text(encoding="utf-8").split(kpi_defs.MARKER)[0] == before  # byte for byte
    con = duckdb.connect(str(wh), read_only=True)
    row = con.execute("select target_value, comparator, is_override from kpis where kpi_id = 'M37-E1'").fetchone()
    assert row == (30000.0, "eq", True)
    ov = con.execute("select field, generated_value, override_value, reason from kpi_overrides order by field").fetchall()
    assert ov == [("comparator", "approx", "eq", "所管課に確認済み"), ("target_value", "30000.0", "30000", "所管課に確認済み")]
    assert con.execute("select count(*) from kpis where is_override").fetchone()[0] == 1
    con.close()


def test_an_override_can_give_a_target_to_a_kpi_without_one(tmp_path, defs):
    with_overrides(defs, {"M01-E1": {"target_value": 60, "unit": "%", "target_fy": 2020, "target_timing": "fy", "reason": "工程表より"}})
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    con = duckdb.connect(str(wh), read_only=True)
    row = con.execute("select target_kind, has_target, target_date::varchar from kpis where kpi_id = 'M01-E1'").fetchone()
    assert row == ("absolute", True, "2021-03-31")
    con.close()


def test_an_override_chooses_the_status_method_of_a_kpi(tmp_path, defs):
    with_overrides(defs, {"M35-E2": {"status_method": "un_progress_chart", "deadline_grace_days": 365,
                                     "reason": "国連の閾値で比較する"}})
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    con = duckdb.connect(str(wh), read_only=True)
    methods = dict(con.execute("select kpi_id, status_method from kpi_status where area_code = '000000' "
                               "and kpi_id in ('M35-E2', 'M35-E1')").fetchall())
    assert methods == {"M35-E2": "un_progress_chart", "M35-E1": "shinchoku"}
    row = con.execute("select deterioration_below, deadline_grace_days, is_custom from core.kpi_methods "
                      "where kpi_id = 'M35-E2'").fetchone()
    assert row == (-0.1, 365, True)
    fields = {r[0] for r in con.execute("select field from kpi_overrides where kpi_id = 'M35-E2'").fetchall()}
    assert fields == {"status_method", "deadline_grace_days"}
    con.close()


def test_a_broken_threshold_set_names_its_file_and_field(tmp_path, monkeypatch):
    import shutil

    from etl import reference, settings
    ref = tmp_path / "reference"
    shutil.copytree(settings.REFERENCE_DIR, ref)
    text = (ref / "status_methods.yaml").read_text(encoding="utf-8")
    (ref / "status_methods.yaml").write_text(text.replace("acceleration_needed: 0.6", "acceleration_needed: 0.99"),
                                             encoding="utf-8")
    with pytest.raises(DefinitionsError, match=r"status_methods\.yaml: methods\.open_sdg: on_track > acceleration_needed"):
        reference.status_methods.__wrapped__(ref)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"M99-P1": {"target_value": 1, "reason": "x"}}, r"overrides\.M99-P1: 未知のKPI ID"),
        ({"M37-E1": {"target_valu": 1, "reason": "x"}}, r"overrides\.M37-E1\.target_valu: 上書きできない項目"),
        ({"M37-E1": {"target_value": "三万", "reason": "x"}}, r"overrides\.M37-E1\.target_value: 値 '三万' は数値ではありません"),
        ({"M37-E1": {"target_fy": 19, "reason": "x"}}, r"overrides\.M37-E1\.target_fy: 値 19 は1990〜2100"),
        ({"M37-E1": {"direction": "up", "reason": "x"}}, r"overrides\.M37-E1\.direction"),
        ({"M37-E1": {"target_value": 1}}, r"overrides\.M37-E1\.reason: 修正理由"),
        ({"M37-E1": 5}, r"overrides\.M37-E1: フィールド名と値の対応"),
        ({"M37-E1": {"status_method": "sdg", "reason": "x"}}, r"overrides\.M37-E1\.status_method: 値 'sdg' は"),
        ({"M37-E1": {"deadline_grace_days": 1.5, "reason": "x"}}, r"overrides\.M37-E1\.deadline_grace_days: 値 1\.5 は整数ではありません"),
        ({"M37-E1": {"maintain_tolerance": 0.9, "reason": "x"}}, r"overrides\.M37-E1\.maintain_tolerance: 値 0\.9 は0\.0〜0\.5 の範囲外"),
        ({"M37-E1": {"on_track": 0.4, "reason": "x"}}, r"overrides\.M37-E1: on_track > acceleration_needed > deterioration_below"),
    ],
)
def test_broken_override_fails_the_build_and_keeps_the_warehouse(tmp_path, defs, override, message):
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    before = wh.read_bytes()
    with_overrides(defs, override)
    with pytest.raises(DefinitionsError, match=message):
        build(warehouse=wh, defs_path=defs)
    assert wh.read_bytes() == before


def test_a_numeric_target_without_a_direction_is_refused(tmp_path, defs):
    from etl.schemas import SchemaViolation
    with_overrides(defs, {"M27-P1": {"direction": "unknown", "reason": "x"}})
    with pytest.raises(SchemaViolation, match=r"table kpis.*kpi_id=M27-P1.*a numeric target has a wanted direction"):
        build(warehouse=tmp_path / "w.duckdb", defs_path=defs)


def test_missing_marker_is_refused(tmp_path, defs):
    defs.write_text(defs.read_text(encoding="utf-8").replace(kpi_defs.MARKER, "# oops"), encoding="utf-8")
    with pytest.raises(DefinitionsError, match="marker line"):
        build(warehouse=tmp_path / "w.duckdb", defs_path=defs)


def test_invalid_yaml_is_refused(tmp_path, defs):
    defs.write_text("overrides: [unclosed\n", encoding="utf-8")
    with pytest.raises(DefinitionsError, match="not valid YAML"):
        build(warehouse=tmp_path / "w.duckdb", defs_path=defs)


def test_a_missing_definitions_file_is_created(tmp_path):
    path = tmp_path / "new_defs.yaml"
    build(warehouse=tmp_path / "w.duckdb", defs_path=path)
    overrides, generated = kpi_defs.read(path)
    assert overrides == {} and len(generated) > 200


@pytest.mark.parametrize(
    "name, unit, expected",
    [
        ("地域IoTを導入した地方公共団体の数", "団体", ("municipality", "sum")),
        ("PHR実装主体数", "団体", ("national", "none")),  # organisations, not necessarily municipalities
        ("Lアラートの導入都道府県数", "都道府県", ("prefecture", "sum")),
        ("クラウド導入市区町村数", "団体", ("municipality", "sum")),
        ("電子応札率", None, ("national", "none")),
    ],
)
def test_area_level_defaults(name, unit, expected):
    assert kpi_defs.area_defaults(name, unit) == expected
