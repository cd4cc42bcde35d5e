"""Automated accessibility check (JIS X 8341-3 / WCAG 2.x level AA) in the real browser.

Every page of the cockpit (test_cockpit.PAGES), at desktop (1440 px) and phone (390 px) width, on the
bundled data and on the demo, is checked by axe-core, injected into the page by Playwright, with the WCAG
2.0/2.1/2.2 A and AA rules (at 390 px also with the sidebar opened). A violation of impact serious or
critical fails the test unless it is one of the explained exceptions below, each of which is written up in
docs/accessibility.md (what, why, the workaround). So do three things axe cannot judge: a page wider than
the phone (reflow), a `lang` other than "ja", a folded sidebar left in the Tab order. Every violation found,
minor and moderate ones too, goes to test-artifacts/accessibility_*.json.

axe-core comes from the PyPI package axe-playwright-python (pinned in pyproject.toml's test extras), which
ships axe-core's own axe.min.js: we inject that file ourselves and call `axe.run` with our options, so
the wrapper's Python API is not used. The checks axe cannot make (status never by colour alone, charts
paired with tables, focus order, 390 px) are listed in docs/accessibility.md.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.e2e.support import ARTIFACTS, CHROMIUM, ROOT, serve, settle
from tests.e2e.test_cockpit import PAGES, WIDTHS, browser, warehouses  # noqa: F401 (fixtures)

playwright = pytest.importorskip("playwright.sync_api")
if os.environ.get("CI"):  # a test dependency (pyproject's test extras): missing in CI is an error, not a skip
    import axe_playwright_python as axe_package
else:
    axe_package = pytest.importorskip("axe_playwright_python", reason="pip install -e '.[test]'")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")

AXE_JS = Path(axe_package.__file__).with_name("axe.min.js")
AXE_CORE = "4.12.1"  # the axe-core release the pinned package ships: a new one is reviewed, not silent
DOC = ROOT / "docs" / "accessibility.md"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


class Explained(NamedTuple):
    """A serious/critical violation we cannot fix in our code, explained in docs/accessibility.md.

    `rule` is the axe rule id; `target` a regular expression searched in the node's CSS selector (axe's
    `target`, joined by ' ') and its HTML snippet; `reason` one line (the doc has the full story)."""
    rule: str
    target: str
    reason: str


EXCEPTIONS: list[Explained] = []


def explained(rule: str, node: dict) -> Explained | None:
    where = " ".join(map(str, node.get("target", []))) + " " + node.get("html", "")
    return next((e for e in EXCEPTIONS if e.rule == rule and re.search(e.target, where)), None)


def run_axe(pg) -> dict:
    """axe-core's answer for the page as it is: engine version, violations and what it could not decide
    (incomplete: to be reviewed by a person, e.g. text over a gradient)."""
    if not pg.evaluate("() => typeof window.axe !== 'undefined'"):
        pg.add_script_tag(path=str(AXE_JS))
    return pg.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                    resultTypes: ['violations', 'incomplete']})
        .then(r => ({version: r.testEngine.version, violations: r.violations, incomplete: r.incomplete}))""", TAGS)


def summarise(violations: list[dict]) -> list[dict]:
    """What the report keeps of axe's answer: rule, impact, help, WCAG tags and, per element, the selector,
    the snippet and axe's explanation (the colour pair for contrast)."""
    return [{
        "rule": v["id"], "impact": v["impact"], "help": v["help"], "helpUrl": v["helpUrl"],
        "tags": [t for t in v["tags"] if t.startswith("wcag")],
        "nodes": [{"target": n["target"], "html": n["html"][:300], "impact": n.get("impact"),
                   "summary": n.get("failureSummary", "")[:500],
                   "explained": (e.rule + " " + e.target) if (e := explained(v["id"], n)) else None}
                  for n in v["nodes"]],
    } for v in violations]


def overflow(pg) -> int:
    """How many CSS pixels the page is wider than the window (WCAG 1.4.10 reflow; a data grid scrolling
    inside itself does not count)."""
    return pg.evaluate("""() => Math.max(...['html', 'body', "[data-testid='stMain']", "[data-testid='stAppViewContainer']"]
        .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollWidth - e.clientWidth))""")


def drawn(pg) -> dict:
    """Wait until every visible chart is drawn (axe checks what is in the DOM); what the page holds, for the report."""
    pg.wait_for_function("""() => [...document.querySelectorAll("[data-testid='stPlotlyChart'], [data-testid='stVegaLiteChart']")]
        .filter(e => e.checkVisibility()).every(e => e.querySelector('.main-svg, canvas, svg'))""", timeout=30_000)
    return pg.evaluate("""() => Object.fromEntries(Object.entries({plotly: "[data-testid='stPlotlyChart']",
        vega: "[data-testid='stVegaLiteChart']", grids: "[data-testid='stDataFrame']", tables: "[data-testid='stTable']",
        images: "[data-testid='stImage']"}).map(([k, s]) => [k, document.querySelectorAll(s).length]))""")


@pytest.mark.parametrize("data", ["bundled", "demo"])
def test_no_serious_or_critical_accessibility_violation_on_any_page(warehouses, browser, data):  # noqa: F811
    report, review, frames, wider, held, blocking, version = {}, {}, {}, {}, {}, {}, None
    started = time.time()

    def check(pg, where):
        nonlocal version
        held[where] = drawn(pg)
        result = run_axe(pg)
        version = result["version"]
        report[where] = summarise(result["violations"])
        review[where] = [{"rule": v["id"], "nodes": len(v["nodes"]),
                          "targets": [" ".join(map(str, n["target"])) for n in v["nodes"][:5]]}
                         for v in result["incomplete"]]
        frames[where] = len(pg.frames) - 1  # axe sees this document only: an iframe would need axe injected too
        wider[where] = overflow(pg)
        if where.startswith("phone") and wider[where] > 0:
            blocking.setdefault(where, []).append(f"reflow (WCAG 1.4.10): the page is {wider[where]} px wider than the phone")
        # what axe cannot judge, set by app.py: the page's language, and a folded sidebar out of the Tab order
        if (lang := pg.evaluate("document.documentElement.lang")) != "ja":
            blocking.setdefault(where, []).append(f'language of page (WCAG 3.1.1): lang="{lang}", not "ja"')
        if pg.evaluate("""() => { const s = document.querySelector("[data-testid='stSidebar']");
                                  return s && s.dataset.collapsed === 'true' && getComputedStyle(s).visibility !== 'hidden' }"""):
            blocking.setdefault(where, []).append("focus (WCAG 2.4.7): the folded sidebar's links are still in the Tab order")
        for v in report[where]:
            left = [n for n in v["nodes"] if not n["explained"]]
            if v["impact"] in BLOCKING and left:
                blocking.setdefault(where, []).append(f"{v['rule']} ({v['impact']}): {v['help']} — " + "; ".join(
                    " ".join(map(str, n["target"])) for n in left[:5]))

    with serve(warehouses[data], SHINCHOKU_SQL_PUBLIC="1") as url:
        for width, (w, h) in WIDTHS.items():
            context = browser.new_context(viewport={"width": w, "height": h}, locale="ja-JP")
            pg = context.new_page()
            for path in PAGES:
                pg.goto(f"{url}/{path}{'&' if '?' in path else '?'}as_of=2021-03-31")
                settle(pg)
                check(pg, f"{width} /{path}")
            if width == "phone":
                # on a phone the sidebar (pages, 基準日) is folded away: check it opened as well
                pg.get_by_test_id("stExpandSidebarButton").click()
                pg.get_by_test_id("stSidebarContent").wait_for(state="visible")
                time.sleep(0.5)  # the slide-in transition
                check(pg, f"{width} /{PAGES[-1]} (sidebar open)")
            context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    counts = {where: {i: sum(len(v["nodes"]) for v in vs if v["impact"] == i)
                      for i in ("critical", "serious", "moderate", "minor")} for where, vs in report.items()}
    (ARTIFACTS / f"accessibility_{data}.json").write_text(json.dumps(
        {"axe_core": version, "tags": TAGS, "seconds": round(time.time() - started, 1), "counts": counts,
         "wider_than_window_px": wider, "iframes": frames, "elements": held, "violations": report, "needs_review": review},
        ensure_ascii=False, indent=1), encoding="utf-8")
    assert version == AXE_CORE, f"axe-core {version}: review docs/accessibility.md and set AXE_CORE"
    assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)
    if data == "demo":  # the check saw charts and tables, not only empty states
        assert sum(h["plotly"] + h["vega"] for h in held.values()) and sum(h["grids"] for h in held.values()), held


def documented_exceptions() -> set[tuple[str, str]]:
    """(rule, target pattern) of each row of the exceptions table in docs/accessibility.md."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Exceptions", 1)[1].split("\n## ", 1)[0]
    return {(m.group(1), m.group(2)) for m in re.finditer(r"^\| `([a-z0-9-]+)` \| `([^`]+)` \|", table, flags=re.M)}


def test_every_exception_is_explained_in_the_accessibility_doc():
    assert documented_exceptions() == {(e.rule, e.target) for e in EXCEPTIONS}


def test_an_exception_covers_only_its_rule_and_elements(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "EXCEPTIONS", [Explained("list", "stSidebarNavItems", "why")])
    nav = {"target": [".st-emotion-cache-1gczx66"], "html": '<ul data-testid="stSidebarNavItems" class="…">'}
    assert explained("list", nav) and not explained("listitem", nav)
    assert not explained("list", {"target": ["ul"], "html": "<ul class='other'>"})
