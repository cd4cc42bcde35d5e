"""KPI cells → indicators → targets, on the notations the 施策一覧 uses (texts copied from the source)."""
import datetime as dt

import pytest

from etl.kpi_parse import Indicator, parse_target, split_indicators


def parse_cell(cell):
    return [parse_target(i) for i in split_indicators(cell)]


# (cell text as in the source, index of the indicator, expected fields)
CASES = [
    # 未設定: no target at all — the year in the note is never read as a value
    ("未設定(令和元年度中に検討)", 0, dict(target_kind="unset", target_value=None, target_fy=None, name="未設定")),
    ("未設定(令和3年度の全市町村整備後に設定予定)", 0, dict(target_kind="unset", target_value=None, target_fy=None)),
    # 「までに設定予定」 is when the target will be set, never a deadline (M61-P1 / E1)
    ("港湾関連データ連携基盤へ接続可能な港湾関係者数(令和元年度までに設定予定)", 0,
     dict(target_kind="unset", target_value=None, target_fy=None, target_date=None)),
    # a number that counts what will be done is not the indicator's target (M56-P1: people, not services)
    ("健康・医療・介護分野のデータ利活用に係る実証を通じて、データ利活用を行った対象者数"
     "(令和元年度 2つのサービスについて実証を実施)", 0,
     dict(target_kind="milestone", target_value=None, unit=None, target_fy=2019)),
    # 本年度 is the plan's year: FY2019 (M42-E1), kept with a note
    ("本年度中に、災害対応におけるSNS活用ガイドブックの見直しを完了した団体数", 0,
     dict(target_fy=2019, target_date=dt.date(2020, 3, 31), name="災害対応におけるSNS活用ガイドブックの見直しを完了した団体数")),
    # 約 + 万
    ("整備済箇所数(令和元年度までに約3万箇所)", 0,
     dict(target_kind="absolute", target_value=30000, unit="箇所", comparator="approx", target_fy=2019,
          target_date=dt.date(2020, 3, 31), name="整備済箇所数")),
    # 万 + 千 + 以上
    ("G空間情報センターの平均月間ページビュー数(令和元年度までに平均月間ページビュー数9万5千件以上)", 0,
     dict(target_value=95000, unit="件", comparator="at_least", target_fy=2019)),
    # relative: 3割削減 against 平成27年度, target year from the text before the paren
    ("令和5年度を目途に3割削減(平成27年度比。ただし、新規業務への対応やセキュリティ対策に要する経費等の影響を除く。)", 0,
     dict(target_kind="relative", target_value=None, base_fy=2015, target_factor=0.7, target_fy=2023,
          direction="decrease")),
    # relative: 平成24年度比で3倍, year from the shared prefix 令和2年に (a calendar year)
    ("令和2年に、テレワーク導入企業を平成24年度比で3倍、テレワーク制度等に基づく雇用型テレワーカーの割合を平成28年度比で倍増", 0,
     dict(target_kind="relative", base_fy=2012, target_factor=3.0, target_fy=2020, target_timing="calendar",
          target_date=dt.date(2020, 12, 31), name="テレワーク導入企業")),
    ("令和2年に、テレワーク導入企業を平成24年度比で3倍、テレワーク制度等に基づく雇用型テレワーカーの割合を平成28年度比で倍増", 1,
     dict(target_kind="relative", base_fy=2016, target_factor=2.0, target_fy=2020,
          name="テレワーク制度等に基づく雇用型テレワーカーの割合")),
    # 年度末 + 割
    ("私有人工林のうち林業経営を実施する森林として集積・集約化された面積を5割に増加(令和10年度末までに5割) 木材需給情報データベースの活用事業者数", 0,
     dict(target_kind="absolute", target_value=50, unit="%", target_fy=2028, target_timing="fy_end",
          target_date=dt.date(2029, 3, 31))),
    ("私有人工林のうち林業経営を実施する森林として集積・集約化された面積を5割に増加(令和10年度末までに5割) 木材需給情報データベースの活用事業者数", 1,
     dict(target_kind="none", name="木材需給情報データベースの活用事業者数")),
    # two indicators glued together, each with its own target
    ("地方公共団体向け研修開催回数(令和元年度に34回)推奨データセットとして定義したセット数(令和元年度に4セット)", 0,
     dict(target_value=34, unit="回", target_fy=2019, name="地方公共団体向け研修開催回数")),
    ("地方公共団体向け研修開催回数(令和元年度に34回)推奨データセットとして定義したセット数(令和元年度に4セット)", 1,
     dict(target_value=4, unit="セット", target_fy=2019, name="推奨データセットとして定義したセット数")),
    # percentage, 年度
    ("地方公共団体におけるオープンデータ取組率(令和2年度100%)", 0, dict(target_value=100, unit="%", target_fy=2020)),
    # 年度末
    ("電子化した手続のオンライン提出率(令和元年度末40%)", 0,
     dict(target_value=40, unit="%", target_fy=2019, target_timing="fy_end")),
    # 年 (calendar year), not 年度
    ("サービス及び研究開発に対する助成件数 JIS規格準拠に係る各公的機関への説明会回数(令和元年3件)", 1,
     dict(target_value=3, unit="件", target_fy=2019, target_timing="calendar", target_date=dt.date(2019, 12, 31))),
    # 年度当初
    ("Lアラートの導入都道府県数(令和元年度当初47都道府県) Lアラート高度化システムの導入都道府県数(令和2年度末15都道府県)", 0,
     dict(target_value=47, unit="都道府県", target_timing="fy_start", target_date=dt.date(2019, 4, 1))),
    ("Lアラートの導入都道府県数(令和元年度当初47都道府県) Lアラート高度化システムの導入都道府県数(令和2年度末15都道府県)", 1,
     dict(target_value=15, target_fy=2020, target_timing="fy_end")),
    # thousands separator and 約, first of two figures
    ("クラウド導入市区町村数(令和5年度末までに約1,600団体、うち自治体クラウド導入団体は約1,100団体)", 0,
     dict(target_value=1600, unit="団体", comparator="approx", target_fy=2023)),
    ("地域未来投資促進法で支援を行った企業数(令和2年度までに2,000社)", 0, dict(target_value=2000, unit="社", target_fy=2020)),
    # colon notation
    ("地域IoTを導入した地方公共団体の数(令和2年度:800団体) 計画策定支援事業により解決・改善した地域課題数(令和2年度:60件)", 1,
     dict(target_value=60, unit="件", target_fy=2020)),
    # 以上 after a bare number
    ("AI保健指導支援システムを導入した地方公共団体数(令和2年度 10以上の地方公共団体において実証・導入)", 0,
     dict(target_value=10, comparator="at_least", target_fy=2020)),
    # 年間 + kanji number + 程度
    ("オープン化されたデータ数(年間数百TB程度のデータ数)、データへのアクセス数(年間一万件程度)", 1,
     dict(target_value=10000, comparator="approx", target_timing="annual", target_fy=None)),
    # vague amount: target text present, no number we can trust
    ("オープン化されたデータ数(年間数百TB程度のデータ数)、データへのアクセス数(年間一万件程度)", 0,
     dict(target_kind="unparsed", target_value=None, target_text="年間数百TB程度のデータ数")),
    # year + month is a date, never a value
    ("<オンライン・ワンストップ化> 各省等のシステムの改修\nオンライン・ワンストップのサービスオン(令和2年11月頃)", 1,
     dict(target_kind="milestone", target_value=None, target_date=dt.date(2020, 11, 30), group="オンライン・ワンストップ化")),
    # milestone: a year and no value
    ("火災延焼シミュレーションの開発状況(令和2年度:高精度化の完了)", 0, dict(target_kind="milestone", target_fy=2020)),
    # 年1回以上 written inside the name
    ("訓練または災害発生時に、地方公共団体や事業者等へのSIP4Dを活用した情報共有を年1回以上実施", 0,
     dict(target_value=1, unit="回", comparator="at_least", target_timing="annual")),
    # a baseline in the middle is not a target; the direction is a decrease
    ("光ファイバ未整備世帯数(2017年度末時点で約98万世帯)の減少", 0,
     dict(target_kind="none", target_value=None, base_fy=2017, base_value=980000, direction="decrease",
          name="光ファイバ未整備世帯数の減少")),
    # a shared paren with one target per indicator
    ("循環システムの形成により作成提供される分野数、参加団体数(令和元年度までにデータ分野数10、参加団体数40)", 1,
     dict(target_value=40, target_fy=2019, name="参加団体数")),
    # descriptive paren, no target
    ("取扱機関数(地方公共団体等)", 0, dict(target_kind="none", name="取扱機関数(地方公共団体等)")),
    # a count that is cut, but a 削減数 is wanted up
    ("死亡・相続に関して遺族が行う手続の削減数", 0, dict(direction="increase")),
]


@pytest.mark.parametrize("cell, index, expected", CASES, ids=[f"{c[:18]}#{i}" for c, i, _ in CASES])
def test_target_notation(cell, index, expected):
    t = parse_cell(cell)[index]
    for field, value in expected.items():
        assert getattr(t, field) == value, (field, t)
    assert t.source_text  # the original text is kept beside the parse


def test_two_indicators_in_one_cell_keep_their_own_targets():
    ts = parse_cell("地方公共団体向け研修開催回数(令和元年度に34回)推奨データセットとして定義したセット数(令和元年度に4セット)")
    assert [(t.target_value, t.unit) for t in ts] == [(34, "回"), (4, "セット")]


def test_list_items_are_indicators_and_headings_are_groups():
    cell = "<オンライン・ワンストップ化> 対象とした67手続のうちオンライン・ワンストップ化された手続数\nAPIの提供数\n<クラウドを活用した新しい提出方法・処分通知等>\nAPIの提供数"
    ts = parse_cell(cell)
    assert [t.name for t in ts] == ["対象とした67手続のうちオンライン・ワンストップ化された手続数", "APIの提供数", "APIの提供数"]
    assert [t.group for t in ts] == ["オンライン・ワンストップ化", "オンライン・ワンストップ化", "クラウドを活用した新しい提出方法・処分通知等"]
    assert ts[0].target_value is None  # "67手続" describes the scope, it is not a target


def test_comma_lists_split_only_into_indicators():
    assert [t.name for t in parse_cell("OSSの導入地域数、対象車種数、対象手続数")] == ["OSSの導入地域数", "対象車種数", "対象手続数"]
    sentence = "地理的な制約、年齢、身体的な条件等に関わらず、全ての住民の迅速かつ確実な避難の実施"
    assert [t.name for t in parse_cell(sentence)] == [sentence]


def test_latin_words_with_spaces_are_not_split():
    ts = parse_cell("ホームページのJIS X 8341-3への準拠を表明している地方公共団体(令和3年77%)")
    assert len(ts) == 1 and ts[0].target_value == 77


def test_unit_is_independent_of_year_digits():
    t = parse_target(Indicator(text="電子化した手続の数(令和元年度中に27)"))
    assert (t.target_value, t.target_fy, t.unit) == (27, 2019, None)


def test_the_plans_own_year_is_the_manifests():
    """本年度 is resolved against the date of the 施策一覧 (官民データ活用推進計画) in the manifest."""
    import yaml

    from etl import settings
    from etl.kpi_parse import PLAN_FY

    published = yaml.safe_load((settings.ROOT / "data" / "sources" / "manifest.yaml").read_text(encoding="utf-8"))
    day = published["sources"]["measures"]["published"]
    assert PLAN_FY == (day.year if day.month >= 4 else day.year - 1)


def test_the_notes_say_why_a_year_or_number_is_not_a_target():
    t = parse_target(Indicator(text="港湾関連データ連携基盤各種機能の利用回数(令和元年度までに設定予定)"))
    assert any("目標を設定する時期" in n for n in t.notes)
    t = parse_cell("本年度中に、災害対応におけるSNS活用ガイドブックの見直しを完了した団体数")[0]
    assert any("本年度は計画の年度" in n for n in t.notes)
