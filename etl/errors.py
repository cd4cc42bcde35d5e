"""Errors and data-quality records shared by all ETL steps."""
from __future__ import annotations

from dataclasses import asdict, dataclass


class ShinchokuError(Exception):
    """A failure the user can act on; the message names file, row/line, column and reason."""


class OutputExists(ShinchokuError):
    """The file or folder to write exists and replacing it was not asked for (--force)."""


class WarehouseBusy(ShinchokuError):
    """Another writer holds the warehouse longer than the lock timeout."""


class WarehouseDamaged(ShinchokuError):
    """The warehouse file cannot be opened as a Shinchoku warehouse; `shinchoku restore` brings one back."""

    @classmethod
    def opening(cls, path, error: Exception) -> "WarehouseDamaged":
        """The error for a warehouse that DuckDB could not open, naming the recovery command."""
        return cls(f"{path}: データウェアハウスが壊れているため開けません({str(error).splitlines()[0][:200]})。"
                   "`shinchoku restore` で直前の世代に戻せます(世代の一覧は `shinchoku restore --list`)")


class SourceError(ShinchokuError):
    """A source document cannot be parsed (truncated, damaged, wrong file)."""


class DefinitionsError(ShinchokuError):
    """kpi_defs.yaml (usually its overrides section) is invalid."""


@dataclass(frozen=True)
class QualityIssue:
    """One row of the quality_issues table: something the parser could not read with confidence."""

    source: str  # file name of the source document or definitions file
    location: str  # e.g. "line 57, 施策 No 31, column 対応する柱"
    kind: str  # machine-readable category, e.g. "missing_pillar"
    message: str  # Japanese, for the data-quality page
    entity_id: str | None = None  # measure_no / kpi_id / item_id the issue is about
    severity: str = "warning"  # "info" | "warning"

    def as_dict(self) -> dict:
        return asdict(self)
