"""Automated accessibility check (JIS X 8341-3 / WCAG 2.x level AA) in the real browser.

Every page of the cockpit (test_cockpit.PAGES), at desktop (1440 px) and phone (390 px) width, on the
bundled data, the demo and a missing warehouse, is checked by axe-core (in test_cockpit's visits: each page
is loaded once for both checks), injected into the page by Playwright, with the WCAG
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

from tests.e2e.support import ARTIFACTS, CHROMIUM, ROOT

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


class Audit:
    """The accessibility audit of one warehouse's pages, run by test_cockpit on the pages it opens (each
    page is loaded once for both checks): `check` each page, `sidebar` once at phone width, then `finish`."""

    def __init__(self, data: str):
        self.data, self.started, self.version = data, time.time(), None
        self.report, self.review, self.frames, self.wider, self.held, self.blocking = {}, {}, {}, {}, {}, {}

    def check(self, pg, where: str) -> None:
        self.held[where] = drawn(pg)
        result = run_axe(pg)
        self.version = result["version"]
        self.report[where] = summarise(result["violations"])
        self.review[where] = [{"rule": v["id"], "nodes": len(v["nodes"]),
                               "targets": [" ".join(map(str, n["target"])) for n in v["nodes"][:5]]}
                              for v in result["incomplete"]]
        self.frames[where] = len(pg.frames) - 1  # axe sees this document only: an iframe would need axe injected too
        self.wider[where] = overflow(pg)
        blocking = self.blocking
        if where.startswith("phone") and self.wider[where] > 0:
            blocking.setdefault(where, []).append(f"reflow (WCAG 1.4.10): the page is {self.wider[where]} px wider than the phone")
        # what axe cannot judge, set by app.py: the page's language, and a folded sidebar out of the Tab order
        if (lang := pg.evaluate("document.documentElement.lang")) != "ja":
            blocking.setdefault(where, []).append(f'language of page (WCAG 3.1.1): lang="{lang}", not "ja"')
        if pg.evaluate("""() => { const s = document.querySelector("[data-testid='stSidebar']");
                                  return s && s.dataset.collapsed === 'true' && getComputedStyle(s).visibility !== 'hidden' }"""):
            blocking.setdefault(where, []).append("focus (WCAG 2.4.7): the folded sidebar's links are still in the Tab order")
        for v in self.report[where]:
            left = [n for n in v["nodes"] if not n["explained"]]
            if v["impact"] in BLOCKING and left:
                blocking.setdefault(where, []).append(f"{v['rule']} ({v['impact']}): {v['help']} — " + "; ".join(
                    " ".join(map(str, n["target"])) for n in left[:5]))

    def sidebar(self, pg, where: str) -> None:
        """On a phone the sidebar (pages, 基準日) is folded away: check it opened as well."""
        pg.get_by_test_id("stExpandSidebarButton").click()
        pg.get_by_test_id("stSidebarContent").wait_for(state="visible")
        time.sleep(0.5)  # the slide-in transition
        self.check(pg, f"{where} (sidebar open)")

    def finish(self) -> dict:
        """Write test-artifacts/accessibility_<data>.json; the failures (empty when none)."""
        ARTIFACTS.mkdir(exist_ok=True)
        counts = {where: {i: sum(len(v["nodes"]) for v in vs if v["impact"] == i)
                          for i in ("critical", "serious", "moderate", "minor")} for where, vs in self.report.items()}
        (ARTIFACTS / f"accessibility_{self.data}.json").write_text(json.dumps(
            {"axe_core": self.version, "tags": TAGS, "seconds": round(time.time() - self.started, 1), "counts": counts,
             "wider_than_window_px": self.wider, "iframes": self.frames, "elements": self.held,
             "violations": self.report, "needs_review": self.review}, ensure_ascii=False, indent=1), encoding="utf-8")
        failures = dict(self.blocking)
        if self.version != AXE_CORE:
            failures["axe-core"] = [f"axe-core {self.version}: review docs/accessibility.md and set AXE_CORE"]
        if self.data == "demo" and not (sum(h["plotly"] + h["vega"] for h in self.held.values())
                                        and sum(h["grids"] for h in self.held.values())):
            failures["coverage"] = ["the check saw no charts or tables on the demo"]
        return failures


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
