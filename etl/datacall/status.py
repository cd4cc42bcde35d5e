"""Submission status (提出状況) of a data call: for every recipient, whether its form was sent, returned,
late or incomplete (which KPIs are still empty: neither a figure nor commentary), and the last reply; and reminder texts for the
secretariat to send (Shinchoku sends no mail itself)."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from etl.datacall import forms
from etl.text import date_to_wareki

STATES = ("未送付", "未回答", "期限超過", "一部未記入", "回答済")

STATUS_SQL = """
    with sent as (  -- every form of the period made by then; the latest one per recipient is the one owed
        select * from core.datacall_forms where period = $p and made_at < $d::date + interval 1 day
    ),
    latest as (select * from sent qualify row_number() over (partition by recipient order by form_no desc) = 1),
    replies as (  -- a reply to an earlier sending of the same form still counts
        select s.recipient, r.batch_id, r.received_at
        from core.datacall_replies r join sent s using (form_no)
        where r.received_at < $d::date + interval 1 day
    ),
    given as (  -- a row is answered by a figure or, where there is no new figure, by its commentary
        select distinct r.recipient, o.kpi_id, o.area_code
        from replies r join (select batch_id, kpi_id, area_code from core.observations
                             union all
                             select batch_id, kpi_id, area_code from core.kpi_comments
                             union all  -- a schedule item (工程): its reported state
                             select batch_id, item_id, '000000' from core.schedule_reports) o using (batch_id)
    ),
    owed as (
        select l.recipient, fr.kpi_id, fr.area_code, g.kpi_id is not null as filled
        from latest l
        join core.datacall_form_rows fr using (form_no)
        left join given g on g.recipient = l.recipient and g.kpi_id = fr.kpi_id and g.area_code = fr.area_code
    )
    select l.recipient, l.recipient_name, l.form_no, l.made_at, l.deadline, l.rows as rows_asked,
           (select count(*) from replies r where r.recipient = l.recipient) as replies,
           (select max(received_at) from replies r where r.recipient = l.recipient) as last_reply,
           (select count(*) from owed o where o.recipient = l.recipient and o.filled) as rows_filled,
           (select list(distinct o.kpi_id order by o.kpi_id) from owed o where o.recipient = l.recipient and not o.filled)
               as empty_kpis,
           (select list(distinct o.kpi_id || ' ' || coalesce(k.name, i.title, '')
                        order by o.kpi_id || ' ' || coalesce(k.name, i.title, ''))
            from owed o left join core.kpis k using (kpi_id) left join schedule_items i on i.item_id = o.kpi_id
            where o.recipient = l.recipient and not o.filled) as empty_names
    from latest l
"""


def submission_status(con: duckdb.DuckDBPyConnection, period: str, as_of: dt.date) -> pd.DataFrame:
    """One row per recipient (every ministry that leads a measure and every prefecture) for a period, as
    known at the end of as_of: state (STATES), form sent and deadline, replies, rows filled, empty KPIs."""
    period, _ = forms.parse_period(period)
    found = con.execute(STATUS_SQL, {"p": period, "d": as_of}).df().set_index("recipient")
    rows = []
    for who in forms.recipients(con, everyone=True):
        if who.form_key not in found.index:
            rows.append({"recipient": who.form_key, "recipient_name": who.name, "state": "未送付"})
            continue
        f = found.loc[who.form_key]
        if not f["replies"]:
            state = "期限超過" if as_of > f["deadline"].date() else "未回答"
        else:
            state = "一部未記入" if f["rows_filled"] < f["rows_asked"] else "回答済"
        rows.append({"recipient": who.form_key, "recipient_name": who.name, "state": state, **f.to_dict()})
    out = pd.DataFrame(rows)
    for column in ("form_no", "made_at", "deadline", "rows_asked", "replies", "last_reply", "rows_filled", "empty_kpis",
                   "empty_names"):
        if column not in out:  # nothing sent for the period yet
            out[column] = None
    for column in ("empty_kpis", "empty_names"):
        out[column] = out[column].map(lambda v: [] if v is None or isinstance(v, float) else list(v))
    out["state_order"] = out["state"].map(STATES.index)
    return out.sort_values(["state_order", "recipient"], kind="stable").drop(columns="state_order").reset_index(drop=True)


def reminder(row: pd.Series, period: str, contact: str = "進捗管理会議 事務局") -> str | None:
    """The body of a reminder for a recipient that has not replied, replied late or left rows empty (None
    for the others); the secretariat pastes it into its own mail."""
    if row["state"] not in ("未回答", "期限超過", "一部未記入"):
        return None
    year, month = int(period[:4]), int(period[5:])
    era = date_to_wareki(dt.date(year, month, 1))
    what = f"{era[:era.index('月') + 1]}末時点のKPI実績等の照会"
    deadline = pd.Timestamp(row["deadline"]).date()
    lines = [f"{row['recipient_name']} ご担当者様", "", f"{contact}です。{what}について、"]
    if row["state"] == "一部未記入":
        kpis = row["empty_names"] or row["empty_kpis"]
        lines.append("ご回答ありがとうございました。次の指標が未記入です(実績か、実績がない理由を取組状況に):")
        lines += [f"・{k}" for k in kpis[:20]] + ([f"・ほか{len(kpis) - 20}件"] if len(kpis) > 20 else [])
        lines.append("実績が判明しましたら、同じ様式に追記のうえ再度ご提出ください。")
    elif row["state"] == "期限超過":
        lines.append(f"回答期限({date_to_wareki(deadline)})を過ぎておりますが、まだご回答をいただいておりません。")
        lines.append("お手数ですが、至急ご提出をお願いいたします。")
    else:
        lines.append(f"回答期限は{date_to_wareki(deadline)}です。期限までのご提出をお願いいたします。")
    lines += ["", "(このメールは Shinchoku の提出状況から作成しました)"]
    return "\n".join(lines)
