import pytest

from etl.text import era_to_year, fy_label, html_to_text, normalize, parse_number, urls_in, year_to_wareki


def test_normalize_folds_width_but_keeps_kana_and_circled_numbers():
    assert normalize("（令和元年度：２０件）　①ＡＢＣ") == "(令和元年度:20件) ①ABC"


def test_html_list_items_are_kept_as_items():
    cell = '<ul style="list-style-type: none"> <li>- 一つ目。</li> <li>・二つ目&lt;予算&gt;</li> </ul>'
    parsed = html_to_text(cell)
    assert parsed.items == ("一つ目。", "二つ目<予算>")
    assert parsed.text == "一つ目。\n二つ目<予算>"


def test_plain_dash_bullets_become_items():
    assert html_to_text("-A について。 -B について。").items == ("A について。", "B について。")
    assert html_to_text("ただの文章-ハイフンあり").items == ()


def test_paragraphs_and_links():
    parsed = html_to_text('<p>(ガイド)</p> <p><a href="https://x.go.jp/a.pdf">https://x.go.jp/a.pdf</a></p>')
    assert parsed.items == ("(ガイド)", "https://x.go.jp/a.pdf")
    assert parsed.links == ("https://x.go.jp/a.pdf",)


def test_urls_broken_by_pdf_line_wraps_are_rejoined():
    text = "(支援) http://www.soumu.go.jp/main_sosiki/jo ho_tsusin/top/suppor t/index.html#anc01 (次) https://a.go.jp/"
    assert urls_in(text) == [
        "http://www.soumu.go.jp/main_sosiki/joho_tsusin/top/support/index.html#anc01",
        "https://a.go.jp/",
    ]


@pytest.mark.parametrize(
    "era, n, year", [("令和", "元", 2019), ("令和", 2, 2020), ("令和", "10", 2028), ("平成", 27, 2015), ("平成", "31", 2019)]
)
def test_era_years(era, n, year):
    assert era_to_year(era, n) == year


def test_wareki_labels_name_the_era_in_force_on_1_april():
    assert year_to_wareki(2019) == "令和元年度"  # FY2019 is called 令和元年度 in the plans
    assert year_to_wareki(2018) == "平成30年度"
    assert year_to_wareki(2020, fiscal=False) == "令和2年"
    assert fy_label(2020) == "令和2年度 (2020)"


@pytest.mark.parametrize(
    "text, value", [("1,600", 1600), ("9万5千", 95000), ("一万", 10000), ("98万", 980000), ("2,000", 2000), ("３４", 34)]
)
def test_parse_number(text, value):
    assert parse_number(text) == value
