"""The `shinchoku` command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from etl import settings
from etl.errors import ShinchokuError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shinchoku", prog_name="shinchoku", message="%(prog)s %(version)s")
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


@main.group()
def observations() -> None:
    """Load KPI observations (実績値) into the warehouse."""


@observations.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--accept-valid", is_flag=True, help="Load the valid rows and quarantine the rejected ones.")
@click.option("--user", help="Who loads (default $SHINCHOKU_USER or the login name).")
def observations_load(files, warehouse, dry_run, as_json, accept_valid, user) -> None:
    """Validate observation files (CSV/XLSX) and load them as new batches."""
    import json

    from etl.observations.load import load_files, summary

    try:
        reports = load_files(list(files), warehouse, dry_run=dry_run, accept_valid=accept_valid, user=user)
    except ShinchokuError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except FileNotFoundError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(summary(reports), ensure_ascii=False, indent=2, default=str))
    else:
        for r in reports:
            click.echo(f"{r.file}: {r.status} — 全{r.rows_total}行 / 正常{r.rows_valid}行 / 誤り{r.rows_rejected}行 / "
                       f"読込{r.rows_loaded}行。{r.message}")
            for e in r.errors:
                where = " / ".join(str(x) for x in (e["sheet"], f"{e['row']}行" if e["row"] else None, e["column"]) if x)
                click.echo(f"  {where}: {e['message']}")
    failed = any(r.rows_rejected or r.status == "unreadable" for r in reports)
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--kpi", "kpi_ids", multiple=True, help="KPI id to list (repeatable; default all).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default 実績入力テンプレート.xlsx/.csv).")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
def template(kpi_ids, fmt, out, warehouse) -> None:
    """Write an observation template with the KPI list (and dropdowns in Excel)."""
    from etl.observations.template import write_template
    from warehouse.db import WarehouseMissing, connect_readonly

    out = out or Path(f"実績入力テンプレート.{fmt}")
    try:
        con = connect_readonly(warehouse)
        n = write_template(con, out, fmt, list(kpi_ids) or None)
    except (WarehouseMissing, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    click.echo(f"wrote {out} ({n} KPI)")


@main.command()
@click.option("--warehouse", type=click.Path(path_type=Path), help="The real warehouse to copy (default $SHINCHOKU_WAREHOUSE).")
@click.option("--out", type=click.Path(path_type=Path), help="Demo warehouse file (default warehouse/demo.duckdb).")
@click.option("--seed", type=int, default=20210331, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--force", is_flag=True, help="Replace an existing demo file (it is kept as a generation).")
def demo(warehouse, out, seed, force) -> None:
    """Write a demo warehouse with synthetic observations (デモ（合成データ）) for every KPI with a target."""
    from etl.demo import create_demo

    try:
        result = create_demo(warehouse, out, seed, force=force)
    except (FileNotFoundError, ShinchokuError) as e:  # WarehouseMissing / WarehouseOutdated among them
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    click.echo(f"wrote {result['warehouse']}: {result['rows']} synthetic rows in {result['batches']} batches; "
               f"profiles {result['profiles']}")
    click.echo(f"start the dashboard on it with: shinchoku serve --warehouse {result['warehouse']}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file to show (default $SHINCHOKU_WAREHOUSE).")
@click.option("--port", type=int, default=8501, show_default=True, help="HTTP port.")
@click.pass_context
def serve(ctx: click.Context, warehouse: Path | None, port: int) -> None:
    """Start the dashboard (streamlit run app.py; further options go to Streamlit, e.g. --server.address)."""
    import os

    from streamlit.web import cli as streamlit_cli

    if warehouse:
        os.environ["SHINCHOKU_WAREHOUSE"] = str(Path(warehouse).resolve())
    os.chdir(settings.ROOT)  # Streamlit reads .streamlit/config.toml from the working folder
    # in this process (no child left running when a service manager stops `shinchoku serve`)
    sys.argv = ["streamlit", "run", str(settings.APP), "--server.port", str(port), *ctx.args]
    sys.exit(streamlit_cli.main())


@main.group()
def export() -> None:
    """Exports from the warehouse."""


@export.command("monthly")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="Report date (YYYY-MM-DD).")
@click.option("--ministry", help="The edition of one ministry (the measures it leads).")
@click.option("--held-on", "held_on", type=click.DateTime(formats=["%Y-%m-%d"]), help="開催日 printed on the cover.")
@click.option("--document-no", "document_no", help="資料番号 (e.g. 資料1).")
@click.option("--scale", help="How statuses are marked: icons | abcd | marks (see exports/meeting.yaml).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Settings file (default exports/meeting.yaml).")
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default 進捗管理_<和暦年月>.xlsx).")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
def export_monthly(as_of, ministry, held_on, document_no, scale, config, out, warehouse) -> None:
    """Write the monthly 進捗管理会議 workbook for a report date."""
    from exports.monthly import file_name, load_meeting, write_monthly
    from warehouse.db import WarehouseMissing, connect_readonly
    from warehouse.meeting_queries import ministries

    day = as_of.date()
    try:
        meeting = load_meeting(config, scale=scale, document_no=document_no,
                               held_on=held_on.date().isoformat() if held_on else None)
        con = connect_readonly(warehouse)
    except (ValueError, WarehouseMissing) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    try:
        if ministry and ministry not in (known := ministries(con)):
            click.echo(f"error: 主担当の施策がある府省庁ではありません: {ministry}(候補: {'、'.join(known)})", err=True)
            sys.exit(2)
        out = out or Path(file_name(day, ministry))
        result = write_monthly(con, day, out, ministry, meeting)
    finally:
        con.close()
    click.echo(f"wrote {result['path']}: {result['rows']} KPI rows, sheets {', '.join(result['sheets'])}"
               + (" [デモ（合成データ）を含む]" if result["synthetic"] else ""))


SHOWN_ERRORS = 10  # per reply file; a form filled with one mistake throughout would print thousands of lines


@export.command("parquet")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of the status and observation snapshots (default today).")
@click.option("--force", is_flag=True, help="Replace an existing export folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
def export_parquet(out, as_of, force, as_json, warehouse) -> None:
    """Every documented view as Parquet (for Spark, Trino, BigQuery, polars, R), with manifest.json."""
    import json

    from exports.engines import ExportExists, export_parquet as run
    from warehouse.db import connect_readonly

    try:
        con = connect_readonly(warehouse)
    except ShinchokuError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    try:
        manifest = run(con, out, as_of.date() if as_of else None, force)
    except ExportExists as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps(manifest, ensure_ascii=False, indent=2))
    else:
        rows = sum(v["rows"] for v in manifest["views"].values())
        click.echo(f"wrote {out}: {len(manifest['views'])} views, {rows:,} rows, as of {manifest['as_of']}")


@export.command("duckdb")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Output file.")
@click.option("--compat", default="v1.5", show_default=True, help="Storage format of the copy: v1.5 or v1.4.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
def export_duckdb(out, compat, force, as_json, warehouse) -> None:
    """A copy of the warehouse that DuckDB 1.x tools (CLI, DBeaver, R, Node) can open."""
    import json

    from exports.engines import ExportExists, export_duckdb as run

    source = settings.warehouse_path(warehouse)
    if not source.exists():
        click.echo(f"error: {source}: no warehouse yet; run `shinchoku build`", err=True)
        sys.exit(2)
    try:
        result = run(source, out, compat, force)
    except (ExportExists, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else
               f"wrote {out}: storage {result['storage_version']}, {result['bytes']:,} bytes")


@main.group()
def datacall() -> None:
    """The monthly data call (照会): request forms out, replies in."""


@datacall.command("make")
@click.option("--period", required=True, help="The month asked about (YYYY-MM).")
@click.option("--ministry", help="One ministry (that leads a measure).")
@click.option("--prefecture", help="One prefecture (01–47 or its name).")
@click.option("--all", "everyone", is_flag=True, help="Every ministry that leads a measure and every prefecture.")
@click.option("--deadline", type=click.DateTime(formats=["%Y-%m-%d"]), help="回答期限 (default: 15 days after the month).")
@click.option("--contact", default="進捗管理会議 事務局", show_default=True, help="照会先 printed on the cover.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder for the forms.")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
@click.option("--user", help="Who sends (default $SHINCHOKU_USER or the login name).")
def datacall_make(period, ministry, prefecture, everyone, deadline, contact, out, warehouse, user) -> None:
    """Write one request form (XLSX) per recipient and register them in the warehouse."""
    from etl.datacall.forms import make_forms
    from warehouse.db import WarehouseMissing, WarehouseOutdated

    try:
        made = make_forms(period, out, warehouse=warehouse, ministry=ministry, prefecture=prefecture,
                          everyone=everyone, deadline=deadline.date() if deadline else None, contact=contact, user=user)
    except (ShinchokuError, WarehouseMissing, WarehouseOutdated) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    for m in made:
        click.echo(f"{m.path}: {m.recipient.name} {m.rows}行")
    click.echo(f"{len(made)}件の照会様式を作成しました({sum(m.rows for m in made):,}行)")


@datacall.command("sample")
@click.option("--period", required=True, help="The month asked about (YYYY-MM).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder for the forms and replies.")
@click.option("--prefectures", default=3, show_default=True, help="How many prefectures reply (one more replies with mistakes).")
@click.option("--warehouse", type=click.Path(path_type=Path), help="The demo warehouse (default $SHINCHOKU_WAREHOUSE).")
def datacall_sample(period, out, prefectures, warehouse) -> None:
    """On the demo warehouse only: make every form of a period and fill some of them with synthetic replies
    (デモ（合成データ）), to try the data call end to end."""
    from etl.datacall.sample import make_sample
    from warehouse.db import WarehouseMissing, WarehouseOutdated

    try:
        made, replies = make_sample(period, out, warehouse, prefectures)
    except (ShinchokuError, WarehouseMissing, WarehouseOutdated) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    click.echo(f"{len(made)}件の照会様式を {out / '様式'} に作成し、送付記録に登録しました")
    for kind, label in (("complete", "記入済み"), ("partial", "一部未記入"), ("faulty", "誤りあり(読込で拒否される見本)")):
        for p in replies[kind]:
            click.echo(f"{p}: {label} [デモ（合成データ）]")


@datacall.command("collect")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--period", help="Refuse replies to another month's form (YYYY-MM).")
@click.option("--dry-run", is_flag=True, help="Check only; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
@click.option("--user", help="Who loads (default $SHINCHOKU_USER or the login name).")
def datacall_collect(files, period, dry_run, as_json, warehouse, user) -> None:
    """Read returned request forms; load each one without a problem as its own batch (all or nothing).
    Exit status 1 when any file was refused."""
    import json

    from etl.datacall.collect import collect
    from warehouse.db import WarehouseMissing, WarehouseOutdated

    try:
        reports = collect(list(files), warehouse, period=period, dry_run=dry_run, user=user)
    except (ShinchokuError, WarehouseMissing, WarehouseOutdated) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps([r.as_json() for r in reports], ensure_ascii=False, indent=2))
    else:
        for r in reports:
            click.echo(f"{r.file}: {r.message}")
            for e in r.errors[:SHOWN_ERRORS]:
                where = " / ".join(str(x) for x in (e["sheet"], e["row"] and f"{e['row']}行", e["column"]) if x)
                click.echo(f"  {where}: {e['message']}")
            if len(r.errors) > SHOWN_ERRORS:
                click.echo(f"  ほか {len(r.errors) - SHOWN_ERRORS}件(すべては --json で)")
    sys.exit(1 if any(r.status in ("refused", "unreadable") for r in reports) else 0)


@datacall.command("status")
@click.option("--period", required=True, help="The month asked about (YYYY-MM).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="As known at the end of this day (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--reminders", type=click.Path(path_type=Path, file_okay=False), help="Write a reminder text per recipient that owes a reply into this folder.")
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
def datacall_status(period, as_of, as_json, reminders, warehouse) -> None:
    """Submission status (提出状況) of a period: sent / returned / late / incomplete, per recipient."""
    from etl.datacall.status import reminder, submission_status
    from warehouse.db import WarehouseMissing, WarehouseOutdated, connect_readonly

    from etl.observations.store import now_jst

    day = as_of.date() if as_of else now_jst().date()  # times in the warehouse are JST
    try:
        con = connect_readonly(warehouse)
        table = submission_status(con, period, day)
        con.close()
    except (ShinchokuError, WarehouseMissing, WarehouseOutdated) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(table.to_json(orient="records", force_ascii=False, date_format="iso", indent=2))
    else:
        for r in table.itertuples():
            filled = f"{int(r.rows_filled)}/{int(r.rows_asked)}行" if r.state != "未送付" else ""
            click.echo(f"{r.state}\t{r.recipient_name}\t{filled}")
        click.echo(" ・ ".join(f"{s} {n}" for s, n in table["state"].value_counts().items()))
    if reminders:
        reminders.mkdir(parents=True, exist_ok=True)
        written = 0
        for _, r in table.iterrows():
            if text := reminder(r, period):
                (reminders / f"督促_{period}_{r['recipient_name']}.txt").write_text(text, encoding="utf-8")
                written += 1
        click.echo(f"督促文 {written}件を {reminders} に書きました", err=as_json)


@main.command()
@click.option("--warehouse", type=click.Path(path_type=Path), help="Warehouse file (default $SHINCHOKU_WAREHOUSE).")
@click.option("--list", "list_only", is_flag=True, help="List the kept generations and whether each can be read.")
@click.option("--generation", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The generation file to bring back (default: the newest readable one).")
def restore(warehouse, list_only, generation) -> None:
    """Bring back a kept generation of the warehouse (every build, load and restore keeps the file it replaces)."""
    from etl.observations import store

    target = settings.warehouse_path(warehouse)
    if list_only:
        kept = store.generations(target)
        if not kept:
            click.echo(f"{store.generations_dir(target)}: 世代がありません")
        for g in kept:
            try:
                store.check_warehouse(g)
                state = "読み込み可"
            except store.WarehouseDamaged:
                state = "壊れています"
            click.echo(f"{g}  {g.stat().st_size:,} bytes  {state}")
        return
    try:
        chosen = store.restore(target, generation)
    except ShinchokuError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(f"restored {target} from {chosen}")


@main.group()
def user() -> None:
    """Local users of the データ登録 page (when Streamlit authentication is not configured)."""


@user.command("hash")
@click.password_option(prompt="パスワード", confirmation_prompt="確認")
def user_hash(password: str) -> None:
    """Print the hash of a password for .streamlit/secrets.toml ([users.<name>] password_hash)."""
    from ui.auth import hash_password

    click.echo(hash_password(password))


if __name__ == "__main__":
    main()
