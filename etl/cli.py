"""The `shinchoku` command line.

Help and messages are Japanese (the users' language); option names stay English, as every shell tool's do.
Every command that reports something takes --json; long work shows its progress on a terminal (not when
piped, nor with --quiet). Exit status: see EXIT.
"""
from __future__ import annotations

import contextlib
import json
import sys
from enum import IntEnum
from pathlib import Path

import click

from etl import settings
from etl.errors import DefinitionsError, OutputExists, ShinchokuError, SourceError, WarehouseBusy, WarehouseDamaged


class EXIT(IntEnum):
    """Exit status of every command (README: コマンドの終了コード)."""
    OK = 0       # done
    DATA = 1     # the input data was refused: a source document, rows of a file, a reply
    USAGE = 2    # wrong options, no or outdated warehouse, unknown name, an output that exists
    BUSY = 3     # another writer held the warehouse too long, or a reader kept it open (Windows)
    DAMAGED = 4  # the warehouse file cannot be read: `shinchoku restore`


def exit_code(error: BaseException) -> EXIT:
    from warehouse.db import WarehouseMissing

    if isinstance(error, WarehouseDamaged):
        return EXIT.DAMAGED
    if isinstance(error, WarehouseBusy):
        return EXIT.BUSY
    if isinstance(error, (SourceError, DefinitionsError)):
        return EXIT.DATA
    if isinstance(error, (WarehouseMissing, ValueError, OutputExists, UsageProblem)):
        return EXIT.USAGE
    return EXIT.DATA


class UsageProblem(ShinchokuError):
    """Arguments that name nothing that exists (an unknown ministry, a date outside the data)."""


class Shinchoku(click.Group):
    """Turns the program's own errors into a Japanese message on stderr and a documented exit status."""

    def invoke(self, ctx: click.Context):
        from warehouse.db import WarehouseMissing

        try:
            return super().invoke(ctx)
        except (ShinchokuError, WarehouseMissing, ValueError) as e:
            click.echo(f"error: {e}", err=True)
            code = exit_code(e)
            if code == EXIT.DAMAGED and "shinchoku restore" not in str(e):
                click.echo("`shinchoku restore` で直前の世代に戻せます", err=True)
            ctx.exit(int(code))


EPILOG = """\b
終了コード:
  0 成功
  1 データの誤り(資料・ファイル・回答を受け付けなかった)
  2 使い方の誤り(オプション、データウェアハウスがない・古い、名前が見つからない、出力先がある)
  3 ほかの書き込みが終わらない、またはファイルが開かれたまま
  4 データウェアハウスが壊れている(shinchoku restore で戻せます)"""


@click.group(cls=Shinchoku, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(package_name="shinchoku", prog_name="shinchoku", message="%(prog)s %(version)s")
@click.option("--quiet", "-q", is_flag=True, help="進行状況を表示しません(パイプやログへの出力では表示しません)。")
@click.pass_context
def main(ctx: click.Context, quiet: bool) -> None:
    """Shinchoku(進捗): 国のICT施策のKPI進捗管理。データウェアハウスの作成、実績の読込、照会、資料の出力、ダッシュボードの起動。"""
    ctx.obj = {"quiet": quiet}


def _show_progress() -> bool:
    ctx = click.get_current_context(silent=True)
    quiet = bool(ctx and ctx.find_root().obj and ctx.find_root().obj.get("quiet"))
    return not quiet and sys.stderr.isatty()


@contextlib.contextmanager
def working(text: str):
    """A spinner with the elapsed time on stderr while long work runs (only on a terminal)."""
    if not _show_progress():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"{text}…"):
        yield


@contextlib.contextmanager
def progress_bar(text: str, total: int):
    """A progress bar on stderr; yields the function that advances it (a no-op when not on a terminal)."""
    if not _show_progress():
        yield lambda *_: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(text), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True,
                  console=Console(stderr=True)) as bar:
        task = bar.add_task(text, total=total)
        yield lambda *_: bar.advance(task)


def emit(data) -> None:
    """A --json report on stdout."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


JSON = click.option("--json", "as_json", is_flag=True, help="結果をJSONで出力します。")
WAREHOUSE = click.option("--warehouse", type=click.Path(path_type=Path),
                         help="データウェアハウスのファイル(既定: $SHINCHOKU_WAREHOUSE、なければ標準の場所)。")


def report_date(con, day, what: str = "基準日") -> None:
    """Refuse a report date that no data can be about (a typo of decades); warn when it lies outside the
    plan's years, where every status would be データなし."""
    import datetime as dt

    if not dt.date(2000, 1, 1) <= day <= dt.date.today() + dt.timedelta(days=366):
        raise UsageProblem(f"{what} {day} はデータの範囲外です(2000年から来年までの日付を指定してください)")
    first, last = con.execute("select min(period_end), max(period_end) from observations").fetchone()
    if first is not None and not first <= day:
        click.echo(f"warning: {what} {day} は最初の実績({first})より前です。状況はすべて「データなし」になります", err=True)


def ministry_name(con, raw: str | None) -> str | None:
    """A ministry as the user wrote it (経産省, 経済産業省) → its official name among those that lead a measure,
    or UsageProblem listing the valid names."""
    from etl.reference import resolve_ministry
    from warehouse.meeting_queries import ministries

    if raw is None:
        return None
    known = ministries(con)
    name = resolve_ministry(raw).name
    if name not in known:
        raise UsageProblem(f"主担当の施策がある府省庁ではありません: {raw}(指定できる名前: {'、'.join(known)})")
    return name


@main.command(short_help="データウェアハウスを出典資料から作り直す")
@WAREHOUSE
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False), help="出典資料のフォルダ(既定: 同梱の data/sources)。")
@click.option("--defs", "defs_path", type=click.Path(path_type=Path), help="KPI定義ファイル(既定: kpi_defs.yaml)。")
@click.option("--no-write-defs", is_flag=True, help="KPI定義ファイルの自動生成部分を書き換えません。")
@JSON
def build(warehouse: Path | None, sources: Path | None, defs_path: Path | None, no_write_defs: bool, as_json: bool) -> None:
    """出典資料からデータウェアハウスを作り直します(途中で失敗しても元のファイルは変わりません。読み込んだ実績は引き継ぎます)。"""
    from etl.build import build as run_build

    try:
        with working("データウェアハウスを作成中"):
            report = run_build(warehouse, sources, defs_path, write_defs=not no_write_defs)
    except ShinchokuError:
        click.echo(f"the warehouse {settings.warehouse_path(warehouse)} was not changed", err=True)
        raise
    if as_json:
        emit({"warehouse": report.warehouse, "seconds": round(report.seconds, 2), "counts": report.counts,
              "duplicate_schedule_rows": report.duplicate_schedule_rows, "defs_changed": report.defs_changed,
              "quality_issues": report.issues_by_kind})
        return
    click.echo(report.summary())
    click.echo(f"duplicate schedule rows removed: {report.duplicate_schedule_rows}")
    if report.defs_changed:
        click.echo(f"updated the generated part of {settings.kpi_defs_path(defs_path)}")
    click.echo("quality issues: " + ", ".join(f"{k} {v}" for k, v in sorted(report.issues_by_kind.items())))


@main.group()
def observations() -> None:
    """KPIの実績値(CSV / XLSX)の検証と読込。"""


@observations.command("load", short_help="実績値のファイルを検証して読み込む")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@WAREHOUSE
@click.option("--dry-run", is_flag=True, help="検証だけ行い、何も書き込みません。")
@JSON
@click.option("--accept-valid", is_flag=True, help="正常な行だけを読み込み、誤りのある行は隔離します。")
@click.option("--user", help="読込者(既定: $SHINCHOKU_USER またはログイン名)。")
def observations_load(files, warehouse, dry_run, as_json, accept_valid, user) -> None:
    """実績値のファイルを検証し、ファイルごとに1つの読込として読み込みます。誤りがあれば終了コード 1。"""
    from etl.observations.load import load_files, summary

    try:
        with working(f"{len(files)}件のファイルを検証・読込中"):
            reports = load_files(list(files), warehouse, dry_run=dry_run, accept_valid=accept_valid, user=user)
    except FileNotFoundError as e:
        raise UsageProblem(str(e)) from None
    if as_json:
        emit(summary(reports))
    else:
        for r in reports:
            click.echo(f"{r.file}: {r.status} — 全{r.rows_total}行 / 正常{r.rows_valid}行 / 誤り{r.rows_rejected}行 / "
                       f"読込{r.rows_loaded}行。{r.message}")
            for e in r.errors:
                where = " / ".join(str(x) for x in (e["sheet"], f"{e['row']}行" if e["row"] else None, e["column"]) if x)
                click.echo(f"  {where}: {e['message']}")
    failed = any(r.rows_rejected or r.status == "unreadable" for r in reports)
    sys.exit(EXIT.DATA if failed else EXIT.OK)


@main.command(short_help="実績入力テンプレートを書き出す")
@click.option("--kpi", "kpi_ids", multiple=True, help="載せるKPI ID(複数指定可。既定: すべて)。")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True, help="形式。")
@click.option("--out", type=click.Path(path_type=Path), help="出力ファイル(既定: 実績入力テンプレート.xlsx / .csv)。")
@WAREHOUSE
@JSON
def template(kpi_ids, fmt, out, warehouse, as_json) -> None:
    """実績入力のテンプレート(KPI一覧つき。Excelではドロップダウンつき)を書き出します。"""
    from etl.observations.template import write_template
    from warehouse.db import connect_readonly

    out = out or Path(f"実績入力テンプレート.{fmt}")
    con = connect_readonly(warehouse)
    try:
        n = write_template(con, out, fmt, list(kpi_ids) or None)
    finally:
        con.close()
    emit({"file": out, "kpis": n}) if as_json else click.echo(f"wrote {out} ({n} KPI)")


@main.command(short_help="合成データのデモ用データウェアハウスを作る")
@click.option("--warehouse", type=click.Path(path_type=Path), help="複製の元にするデータウェアハウス(既定: $SHINCHOKU_WAREHOUSE)。")
@click.option("--out", type=click.Path(path_type=Path), help="デモ用ファイル(既定: 元と同じフォルダの demo.duckdb)。")
@click.option("--seed", type=int, default=20210331, show_default=True, help="乱数の種(同じ種なら同じデータ)。")
@click.option("--force", is_flag=True, help="既存のデモ用ファイルを置き換えます(世代として残ります)。")
@JSON
def demo(warehouse, out, seed, force, as_json) -> None:
    """目標のあるKPIに合成データ(デモ（合成データ）)を入れたデモ用データウェアハウスを作成します。"""
    from etl.demo import create_demo

    with working("デモ用データウェアハウスを作成中"):
        result = create_demo(warehouse, out, seed, force=force)
    if as_json:
        emit(result)
        return
    click.echo(f"wrote {result['warehouse']}: {result['rows']} synthetic rows in {result['batches']} batches; "
               f"profiles {result['profiles']}")
    click.echo(f"start the dashboard on it with: shinchoku serve --warehouse {result['warehouse']}")


@main.command(short_help="ダッシュボードを起動する", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--warehouse", type=click.Path(path_type=Path), help="表示するデータウェアハウス(既定: $SHINCHOKU_WAREHOUSE)。")
@click.option("--port", type=int, default=8501, show_default=True, help="HTTPのポート番号。")
@click.pass_context
def serve(ctx: click.Context, warehouse: Path | None, port: int) -> None:
    """ダッシュボードを起動します(streamlit run app.py と同じ。残りのオプションは Streamlit に渡します。例: --server.address)。"""
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
    """データウェアハウスからの出力(会議資料、Parquet、DuckDB 1.x 用の複製)。"""


@export.command("monthly", short_help="進捗管理会議の資料(Excel)")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="基準日(YYYY-MM-DD)。")
@click.option("--ministry", help="府省庁版(その府省庁が主担当の施策のみ。略称も可: 経産省)。")
@click.option("--held-on", "held_on", type=click.DateTime(formats=["%Y-%m-%d"]), help="表紙に印刷する開催日。")
@click.option("--document-no", "document_no", help="資料番号(例: 資料1)。")
@click.option("--scale", help="状況の記号: icons | abcd | marks(exports/meeting.yaml)。")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="設定ファイル(既定: exports/meeting.yaml)。")
@click.option("--out", type=click.Path(path_type=Path), help="出力ファイル(既定: 進捗管理_<和暦年月>.xlsx)。")
@WAREHOUSE
@JSON
def export_monthly(as_of, ministry, held_on, document_no, scale, config, out, warehouse, as_json) -> None:
    """進捗管理会議の資料(Excel)を基準日について書き出します。"""
    from exports.monthly import file_name, load_meeting, write_monthly
    from warehouse.db import connect_readonly

    day = as_of.date()
    meeting = load_meeting(config, scale=scale, document_no=document_no,
                           held_on=held_on.date().isoformat() if held_on else None)
    con = connect_readonly(warehouse)
    try:
        report_date(con, day)
        ministry = ministry_name(con, ministry)
        out = out or Path(file_name(day, ministry))
        with working("会議資料を作成中"):
            result = write_monthly(con, day, out, ministry, meeting)
    finally:
        con.close()
    if as_json:
        emit(result)
        return
    click.echo(f"wrote {result['path']}: {result['rows']} KPI rows, sheets {', '.join(result['sheets'])}"
               + (" [デモ（合成データ）を含む]" if result["synthetic"] else ""))


SHOWN_ERRORS = 10  # per reply file; a form filled with one mistake throughout would print thousands of lines


@export.command("parquet", short_help="全ビューを Parquet で(他のエンジン用)")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="出力フォルダ。")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="状況と実績のスナップショットの基準日(既定: 今日)。")
@click.option("--force", is_flag=True, help="既存の出力フォルダを置き換えます。")
@JSON
@WAREHOUSE
def export_parquet(out, as_of, force, as_json, warehouse) -> None:
    """文書化されたすべてのビューを Parquet で書き出します(Spark、Trino、BigQuery、polars、R 用。manifest.json つき)。"""
    from exports.engines import export_parquet as run
    from warehouse import schema_doc
    from warehouse.db import connect_readonly

    con = connect_readonly(warehouse)
    try:
        if as_of:
            report_date(con, as_of.date())
        with progress_bar("Parquet に出力中", len(schema_doc.views())) as advance:
            manifest = run(con, out, as_of.date() if as_of else None, force, progress=advance)
    finally:
        con.close()
    if as_json:
        emit(manifest)
        return
    rows = sum(v["rows"] for v in manifest["views"].values())
    click.echo(f"wrote {out}: {len(manifest['views'])} views, {rows:,} rows, as of {manifest['as_of']}")


@export.command("duckdb", short_help="DuckDB 1.x 用の複製")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="出力ファイル。")
@click.option("--compat", default="v1.5", show_default=True, help="複製の保存形式: v1.5 または v1.4。")
@click.option("--force", is_flag=True, help="既存のファイルを置き換えます。")
@JSON
@WAREHOUSE
def export_duckdb(out, compat, force, as_json, warehouse) -> None:
    """DuckDB 1.x のツール(CLI、DBeaver、R、Node)で開けるデータウェアハウスの複製を書き出します。"""
    from exports.engines import export_duckdb as run
    from warehouse.db import WarehouseMissing

    source = settings.warehouse_path(warehouse)
    if not source.exists():
        raise WarehouseMissing(f"{source}: no warehouse yet; run `shinchoku build`")
    with working("DuckDB 1.x 用の複製を作成中"):
        result = run(source, out, compat, force)
    emit(result) if as_json else click.echo(f"wrote {out}: storage {result['storage_version']}, {result['bytes']:,} bytes")


@main.group()
def datacall() -> None:
    """毎月の照会: 照会様式の作成、回答の読込、提出状況。"""


@datacall.command("make", short_help="照会様式を作成して送付記録に登録する")
@click.option("--period", required=True, help="照会する月(YYYY-MM)。")
@click.option("--ministry", help="1つの府省庁(施策の主担当。略称も可)。")
@click.option("--prefecture", help="1つの都道府県(01–47 または名前)。")
@click.option("--all", "everyone", is_flag=True, help="施策の主担当であるすべての府省庁とすべての都道府県。")
@click.option("--deadline", type=click.DateTime(formats=["%Y-%m-%d"]), help="回答期限(既定: 翌月15日)。")
@click.option("--contact", default="進捗管理会議 事務局", show_default=True, help="表紙に印刷する照会先。")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="様式を書き出すフォルダ。")
@WAREHOUSE
@click.option("--user", help="送付者(既定: $SHINCHOKU_USER またはログイン名)。")
@JSON
def datacall_make(period, ministry, prefecture, everyone, deadline, contact, out, warehouse, user, as_json) -> None:
    """照会様式(XLSX)を送付先ごとに作成し、送付記録としてデータウェアハウスに登録します。"""
    from etl.datacall.forms import make_forms
    from warehouse.db import connect_readonly

    if ministry:
        con = connect_readonly(warehouse)
        try:
            ministry = ministry_name(con, ministry)
        finally:
            con.close()
    with working("照会様式を作成中"):
        made = make_forms(period, out, warehouse=warehouse, ministry=ministry, prefecture=prefecture,
                          everyone=everyone, deadline=deadline.date() if deadline else None, contact=contact, user=user)
    if as_json:
        emit([{"file": m.path, "recipient": m.recipient.name, "rows": m.rows} for m in made])
        return
    for m in made:
        click.echo(f"{m.path}: {m.recipient.name} {m.rows}行")
    click.echo(f"{len(made)}件の照会様式を作成しました({sum(m.rows for m in made):,}行)")


@datacall.command("sample", short_help="デモ: 照会様式と見本の回答を作る")
@click.option("--period", required=True, help="照会する月(YYYY-MM)。")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="様式と回答を書き出すフォルダ。")
@click.option("--prefectures", default=3, show_default=True, help="回答する都道府県の数(ほかに1件、誤りのある回答)。")
@click.option("--warehouse", type=click.Path(path_type=Path), help="デモ用データウェアハウス(既定: $SHINCHOKU_WAREHOUSE)。")
@JSON
def datacall_sample(period, out, prefectures, warehouse, as_json) -> None:
    """デモ用データウェアハウスでのみ: その月の照会様式をすべて作成し、一部に合成データ(デモ（合成データ）)で回答を記入します。"""
    from etl.datacall.sample import make_sample

    with working("照会様式と見本の回答を作成中"):
        made, replies = make_sample(period, out, warehouse, prefectures)
    if as_json:
        emit({"forms": len(made), "folder": out / "様式", "replies": replies})
        return
    click.echo(f"{len(made)}件の照会様式を {out / '様式'} に作成し、送付記録に登録しました")
    for kind, label in (("complete", "記入済み"), ("partial", "一部未記入"), ("faulty", "誤りあり(読込で拒否される見本)")):
        for p in replies[kind]:
            click.echo(f"{p}: {label} [デモ（合成データ）]")


@datacall.command("collect", short_help="回答を確認して読み込む")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--period", help="別の月の様式への回答を拒否します(YYYY-MM)。")
@click.option("--dry-run", is_flag=True, help="確認だけ行い、何も書き込みません。")
@JSON
@WAREHOUSE
@click.option("--user", help="読込者(既定: $SHINCHOKU_USER またはログイン名)。")
def datacall_collect(files, period, dry_run, as_json, warehouse, user) -> None:
    """返ってきた照会様式を読み、問題のない回答をそれぞれ1つの読込として読み込みます(全件か無し)。拒否があれば終了コード 1。"""
    from etl.datacall.collect import collect

    with working(f"{len(files)}件の回答を確認・読込中"):
        reports = collect(list(files), warehouse, period=period, dry_run=dry_run, user=user)
    if as_json:
        emit([r.as_json() for r in reports])
    else:
        for r in reports:
            click.echo(f"{r.file}: {r.message}")
            for e in r.errors[:SHOWN_ERRORS]:
                where = " / ".join(str(x) for x in (e["sheet"], e["row"] and f"{e['row']}行", e["column"]) if x)
                click.echo(f"  {where}: {e['message']}")
            if len(r.errors) > SHOWN_ERRORS:
                click.echo(f"  ほか {len(r.errors) - SHOWN_ERRORS}件(すべては --json で)")
    sys.exit(EXIT.DATA if any(r.status in ("refused", "unreadable") for r in reports) else EXIT.OK)


@datacall.command("status", short_help="提出状況と督促文")
@click.option("--period", required=True, help="照会する月(YYYY-MM)。")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="この日の終わりの時点で(既定: 今日)。")
@JSON
@click.option("--reminders", type=click.Path(path_type=Path, file_okay=False), help="未回答の送付先ごとの督促文をこのフォルダに書きます。")
@WAREHOUSE
def datacall_status(period, as_of, as_json, reminders, warehouse) -> None:
    """その月の提出状況(未送付 / 回答待ち / 期限超過 / 一部未記入 / 回答済み)を送付先ごとに表示します。"""
    from etl.datacall.status import reminder, submission_status
    from etl.observations.store import now_jst
    from warehouse.db import connect_readonly

    day = as_of.date() if as_of else now_jst().date()  # times in the warehouse are JST
    con = connect_readonly(warehouse)
    try:
        report_date(con, day, "時点")
        table = submission_status(con, period, day)
    finally:
        con.close()
    if as_json:
        click.echo(table.to_json(orient="records", force_ascii=False, date_format="iso", indent=2))
    else:
        for r in table.itertuples():
            filled = f"{int(r.rows_filled)}/{int(r.rows_asked)}行" if r.state != "未送付" else ""
            click.echo(f"{r.state}\\t{r.recipient_name}\\t{filled}")
        click.echo(" ・ ".join(f"{s} {n}" for s, n in table["state"].value_counts().items()))
    if reminders:
        reminders.mkdir(parents=True, exist_ok=True)
        written = 0
        for _, r in table.iterrows():
            if text := reminder(r, period):
                (reminders / f"督促_{period}_{r['recipient_name']}.txt").write_text(text, encoding="utf-8")
                written += 1
        click.echo(f"督促文 {written}件を {reminders} に書きました", err=as_json)


@main.command(short_help="データウェアハウスを以前の世代に戻す")
@WAREHOUSE
@click.option("--list", "list_only", is_flag=True, help="残っている世代と、それぞれが読めるかを一覧にします。")
@click.option("--generation", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="戻す世代のファイル(既定: 読める最新の世代)。")
@JSON
def restore(warehouse, list_only, generation, as_json) -> None:
    """データウェアハウスを残っている世代に戻します(作成・読込・復元のたびに、置き換えたファイルを世代として残しています)。"""
    from etl.observations import store

    target = settings.warehouse_path(warehouse)
    if list_only:
        kept = []
        for g in store.generations(target):
            try:
                store.check_warehouse(g)
                kept.append((g, True))
            except store.WarehouseDamaged:
                kept.append((g, False))
        if as_json:
            emit([{"file": g, "bytes": g.stat().st_size, "readable": ok} for g, ok in kept])
            return
        if not kept:
            click.echo(f"{store.generations_dir(target)}: 世代がありません")
        for g, ok in kept:
            click.echo(f"{g}  {g.stat().st_size:,} bytes  {'読み込み可' if ok else '壊れています'}")
        return
    chosen = store.restore(target, generation)
    emit({"warehouse": target, "restored_from": chosen}) if as_json else click.echo(f"restored {target} from {chosen}")


@main.group()
def user() -> None:
    """データ登録ページのローカル利用者(Streamlit の認証を設定しない場合)。"""


@user.command("hash")
@click.password_option(prompt="パスワード", confirmation_prompt="確認")
def user_hash(password: str) -> None:
    """パスワードのハッシュを表示します(.streamlit/secrets.toml の [users.<名前>] password_hash に書きます)。"""
    from ui.auth import hash_password

    click.echo(hash_password(password))


if __name__ == "__main__":
    main()
