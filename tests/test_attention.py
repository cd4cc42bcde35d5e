"""The readings behind the cockpit: which statuses ask for action, the 進捗 × 効果 count matrix and the
logic model's links."""
import pandas as pd
import pytest
import yaml

from etl import settings
from warehouse import attention

STATUSES = yaml.safe_load((settings.ROOT / "data" / "reference" / "statuses.yaml").read_text(encoding="utf-8"))["statuses"]


def test_every_status_has_exactly_one_reading():
    groups = {s["code"]: attention.status_group(s["code"], s["family"]) for s in STATUSES}
    assert {c for c, g in groups.items() if g == "attention"} == set(attention.ATTENTION)
    assert {c for c, g in groups.items() if g == "good"} == {"achieved", "on_track", "scheduled", "not_adopted"}
    assert {c for c, g in groups.items() if g == "trend"} == {c for c in groups if c.startswith("trend_")}
    assert {c for c, g in groups.items() if g == "none"} == {"single_point", "no_base", "no_data"}


def matrix(*rows) -> pd.DataFrame:
    family = {s["code"]: s["family"] for s in STATUSES}
    rank = {s["code"]: s["rank"] for s in STATUSES}
    return pd.DataFrame([{"measure_no": n, "progress_status": p, "effect_status": e, "progress_family": family[p],
                          "effect_family": family[e], "progress_rank": rank[p], "effect_rank": rank[e]}
                         for n, p, e in rows])


def test_the_count_matrix_has_every_cell_and_counts_each_measure_once():
    m = matrix((1, "on_track", "deterioration"), (2, "achieved", "limited"), (3, "no_data", "no_data"),
               (4, "limited", "on_track"), (5, "trend_flat", "no_data"))
    cells = attention.outcome_cells(m)
    assert len(cells) == 16 and cells["measures"].sum() == 5
    at = cells.set_index(["progress_group", "effect_group"])
    assert at.at[("good", "attention"), "measure_nos"] == [1, 2]
    assert at.at[("attention", "good"), "measure_nos"] == [4]
    assert at.at[("trend", "none"), "measures"] == 1 and at.at[("good", "good"), "measures"] == 0


def test_a_cell_lists_its_measures_worst_first_and_none_means_any():
    m = matrix((1, "on_track", "limited"), (2, "achieved", "deterioration"), (3, "on_track", "on_track"))
    assert attention.in_cell(m, "good", "attention")["measure_no"].tolist() == [1, 2]  # on_track ranks below achieved
    assert attention.in_cell(m, None, "good")["measure_no"].tolist() == [3]
    assert len(attention.in_cell(m, None, None)) == 3


@pytest.mark.parametrize("progress, effect, says", [
    ("good", "attention", "実施は順調だが効果が出ていない"),
    ("attention", "good", "効果は出ているが実施が遅れている"),
    ("good", "good", "実施・効果とも順調"),
    ("none", "good", "進捗の実績がないため"),
    ("none", "none", "進捗・効果の実績がないため"),
    ("good", None, "効果KPIが設定されていない"),
    ("trend", "good", "傾向のみ"),
])
def test_the_logic_model_reads_the_link_from_output_to_outcome(progress, effect, says):
    links = dict(attention.logic_links(progress, effect))
    assert list(links) == ["取組 → 進捗", "進捗 → 効果", "効果 → 期待される効果"]
    assert says in links["進捗 → 効果"]
    assert "データでは検証していない" in links["効果 → 期待される効果"]  # the plan's expectation, never a finding


def test_a_kind_reads_as_its_worst_kpi_and_an_overdue_one_asks_for_action():
    kpis = pd.DataFrame({"kind": ["progress", "progress", "effect", "effect"],
                         "status": ["achieved", "awaiting_result", "no_data", "trend_flat"],
                         "status_family": ["target", "target", "none", "trend"]})
    assert attention.kind_group(kpis, "progress") == "attention"  # 期限後の実績未報告 beside a 達成
    assert attention.kind_group(kpis, "effect") == "trend"
    assert attention.kind_group(kpis[kpis["kind"] == "effect"], "progress") is None


def test_a_link_names_the_kpis_without_data_and_never_hides_a_problem():
    links = dict(attention.logic_links("good", "trend", {"progress": 4, "effect": 0}))
    assert links["取組 → 進捗"] == "取組は成果(アウトプット)につながっている(うち4件は実績なし)"
    assert "要対応" in dict(attention.logic_links("trend", "attention"))["進捗 → 効果"]
