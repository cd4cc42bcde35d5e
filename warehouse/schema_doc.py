"""docs/schema.md, the analysts' contract, read as data: every view with its description, columns, types
and meanings, and the example queries. The build writes the meanings into the warehouse (COMMENT ON, so
BI tools and `duckdb_columns()` show them), the SQL page offers the examples, and tests/test_docs.py
checks the document against the views: one source of truth."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from etl import settings

_VIEW = re.compile(r"^## `(\w+)`")
_COLUMN = re.compile(r"^\| `(\w+)` \| ([A-Z\[\]]+) \| (.*) \|$")


@dataclass
class ViewDoc:
    name: str
    description: str = ""
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # (column, type, meaning)


def path() -> Path:
    return settings.DOCS_DIR / "schema.md"


def views(doc: Path | None = None) -> dict[str, ViewDoc]:
    """Every documented view, in document order."""
    out: dict[str, ViewDoc] = {}
    current: ViewDoc | None = None
    prose: list[str] = []
    for line in (doc or path()).read_text(encoding="utf-8").splitlines():
        if m := _VIEW.match(line):
            current = out.setdefault(m.group(1), ViewDoc(m.group(1)))
            prose = []
        elif line.startswith("## "):
            current = None
        elif current is not None and (m := _COLUMN.match(line)):
            current.columns.append((m.group(1), m.group(2), m.group(3)))
        elif current is not None and not current.columns and not line.startswith("|"):
            if line.strip():
                prose.append(line.strip())
            elif prose and not current.description:
                current.description = " ".join(prose)  # the first paragraph under the heading
    return out


def examples(doc: Path | None = None) -> list[str]:
    """The example queries, each opening with its Japanese title as a comment."""
    return re.findall(r"```sql\n(.*?)```", (doc or path()).read_text(encoding="utf-8"), flags=re.S)


def comment_statements(docs: dict[str, ViewDoc]) -> list[str]:
    """COMMENT ON statements for every documented view and column (Markdown code marks removed)."""
    def literal(text: str) -> str:
        return "'" + text.replace("`", "").replace("'", "''") + "'"

    out = []
    for v in docs.values():
        if v.description:
            out.append(f"comment on view {v.name} is {literal(v.description)}")
        out += [f"comment on column {v.name}.{c} is {literal(meaning)}" for c, _, meaning in v.columns]
    return out
