"""The `shinchoku` command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from etl import settings
from etl.errors import ShinchokuError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Shinchoku (進捗): KPI progress tracking for Japanese government ICT policy."""


@main.command()
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE or warehouse/shinchoku.duckdb).")
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False), help="Folder of source documents (default data/sources).")
@click.option("--defs", "defs_path", type=click.Path(path_type=Path), help="KPI definitions file (default kpi_defs.yaml).")
@click.option("--no-write-defs", is_flag=True, help="Do not rewrite the generated part of the KPI definitions file.")
def build(warehouse: Path | None, sources: Path | None, defs_path: Path | None, no_write_defs: bool) -> None:
    """(Re)build the warehouse from the bundled source documents, atomically."""
    from etl.build import build as run_build

    try:
        report = run_build(warehouse, sources, defs_path, write_defs=not no_write_defs)
    except ShinchokuError as e:
        click.echo(f"error: {e}", err=True)
        click.echo(f"the warehouse {settings.warehouse_path(warehouse)} was not changed", err=True)
        sys.exit(1)
    click.echo(report.summary())
    click.echo(f"duplicate schedule rows removed: {report.duplicate_schedule_rows}")
    if report.defs_changed:
        click.echo(f"updated the generated part of {settings.kpi_defs_path(defs_path)}")
    warnings = {k: v for k, v in sorted(report.issues_by_kind.items())}
    click.echo("quality issues: " + ", ".join(f"{k} {v}" for k, v in warnings.items()))


if __name__ == "__main__":
    main()
