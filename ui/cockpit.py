"""The overview's first screen: what the warehouse holds when nothing is loaded yet, and what needs
attention (要対応) when it is."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from etl.observations import template
from ui import labels, page, state, tables


def empty_state(held: dict) -> None:
    """No observation loaded yet: say so, say what the plan and the documents already give, and how to start."""
    years = (f"{labels.fy(held['first_target_fy'])}〜{labels.fy(held['last_target_fy'])}"
             if pd.notna(held["first_target_fy"]) else "—")
    st.info(
        "**まだ実績値が登録されていません。** 進捗・効果の判定には、各府省庁・都道府県から報告された実績値が必要です。\n\n"
        f"- 計画のKPIは **{held['kpis']}件**。うち数値目標のあるもの {held['with_target']}件"
        f"(期限のあるもの {held['with_deadline']}件、目標年度 {years})、期限つきの実施目標 {held['milestones']}件。"
        "残りは目標がなく、データが入ると傾向(改善傾向・横ばい・悪化傾向)を表示します。\n"
        f"- 計画文書に記載された実績は {held['document_figures']}件です(施策詳細に出典とともに表示)。",
        icon="ℹ️")
    left, middle, right = st.columns(3)
    left.download_button("実績入力テンプレート(Excel)", state.query(template.template_bytes, "xlsx"),
                         file_name="実績入力テンプレート.xlsx", icon=":material/download:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    middle.page_link("pages/upload.py", label="データ登録へ(担当者のサインインが必要)", icon=":material/upload:")
    right.caption("操作を試すには、管理者が合成データのデモを作れます: `shinchoku demo` で作ったファイルを "
                  "`SHINCHOKU_WAREHOUSE` に指定して起動します(画面に「デモ（合成データ）」と表示されます)。")


def status_comparison(df: pd.DataFrame, category: str, label: str, statuses: pd.DataFrame, key: str,
                      table_column: str, download: str) -> None:
    """KPI statuses per ministry, pillar or direction: the judged statuses, the trends of KPIs without a target
    (never counted together), and the table behind both as the charts' text alternative with a download."""
    from ui import charts

    st.plotly_chart(charts.stacked_status(df[df["family"] != "trend"], category,
                                         f"{label}別のKPIの状況(目標に対する判定、問題の多い順)", statuses), key=f"{key}_bars")
    if (df["family"] == "trend").any():
        st.plotly_chart(charts.stacked_status(df[df["family"] == "trend"], category,
                                             f"{label}別の目標なし・傾向(目標のないKPIのデータの動き)", statuses),
                        key=f"{key}_trend_bars")
    with st.expander("表とダウンロード"):
        table = labels.ja_columns(df[[table_column, "kind", "status_label", "kpis"]].assign(kind=df["kind"].map(labels.KIND_JA)))
        st.dataframe(placeholder="—", data=table, hide_index=True)
        page.download(table, download)


def reporting_table(df: pd.DataFrame, heading: str, name: str) -> None:
    """Reporting status per ministry or pillar: where 「データなし」 comes from and who owes the data."""
    st.subheader("報告状況")
    st.caption("目標があるのに実績がないKPIの多い順。「最新」は、実績の期間が基準日の1年半前以降に終わっているもの"
               "(年度の実績は締めから数か月後に報告されるため)。")
    view = pd.DataFrame({
        heading: df["name"], "KPI": df["kpis"], "目標あり": df["with_target"], "実績あり": df["with_data"],
        "最新": df["up_to_date"], "目標ありで実績なし": df["target_without_data"],
        "最新の実績の期間末": df["latest_date"].map(labels.deadline),
    })
    st.dataframe(view, placeholder="—", hide_index=True, key=f"reporting_{name}")
    page.download(view, f"reporting_{name}")


def attention_table(df: pd.DataFrame, as_of: dt.date, key: str) -> None:
    """The KPIs that need attention, worst first; choosing a row opens its measure."""
    if df.empty:
        st.success("この基準日で対応が必要なKPI(悪化・未達・遅れ・要加速・期限後の実績未報告・達成後の低下)はありません。")
        return
    view = pd.DataFrame({
        "状況": [labels.status(i, s) for i, s in zip(df["status_icon"], df["status_label"])],
        "施策": [f"No {n} {t}" for n, t in zip(df["measure_no"], df["title"])],
        "理由": df["status_reason"],  # the "why" next to the "what", not off screen
        "主担当": df["lead_ministries"].map(labels.join),
        "KPI": [f"{labels.KIND_JA.get(k, '')} {i} {n}" for k, i, n in zip(df["kind"], df["kpi_id"], df["name"])],
        "最新値": [f"{labels.number(v, u)}({labels.period(p)})" if pd.notna(v) else "—"
                for v, u, p in zip(df["latest_value"], df["unit"], df["latest_period"])],
        "目標": [labels.number(v, u) for v, u in zip(df["target_value"], df["unit"])],
        "期限": df["target_date"].map(labels.deadline),
        "現在のペースでの見込み": [labels.projection(v, d, r, u) or "—" for v, d, r, u in
                         zip(df["projected_value"], df["projected_reach_date"], df["reaches_by_deadline"], df["unit"])],
    })
    event = st.dataframe(placeholder="—", data=view, hide_index=True, key=key, on_select="rerun", selection_mode="single-row",
                         column_config={"施策": st.column_config.TextColumn(width="medium"),
                                        "KPI": st.column_config.TextColumn(width="medium"),
                                        "理由": st.column_config.TextColumn(width="large")})
    st.caption(f"{len(view)}件(悪い順)。行を選ぶと、その施策の詳細を開きます。")
    page.download(view, f"attention_{as_of}")
    tables.open_selected_measure(event, df)


def logic_model(m: dict, kpis: pd.DataFrame, effects: list[str]) -> None:
    """The measure's logic model, live: 取組 → 進捗KPI → 効果KPI → 期待される効果, each KPI with its status,
    and what each link reads as now (attention.logic_links). Columns stack on a phone."""
    from warehouse import attention

    st.subheader("ロジックモデル(取組から効果まで)")
    # the activities in short: what the measure does and funds; the full text is in the expander below
    written = len(m["overview_items"]) or (1 if m["overview"] else 0)
    boxes = [
        ("① 取組", [labels.plain(m["title"])] + [f"予算事業: {labels.plain(b)}" for b in m["budget_items"]]
         + ([f"課題・取組概要 {written}項目(下の「課題・取組概要(全文)」)"] if written else [])),
        *[(title, [f"{labels.status(r.status_icon, r.status_label)} {r.kpi_id} {labels.plain(r.name)}"
                   for r in kpis[kpis["kind"] == kind].itertuples()] or ["(KPIの設定なし)"])
          for title, kind in (("② 進捗KPI(アウトプット)", "progress"), ("③ 効果KPI(アウトカム)", "effect"))],
        ("④ 期待される効果(計画の記載)", effects or ["(記載なし)"]),
    ]
    for col, (title, lines) in zip(st.columns(4), boxes):
        box = col.container(border=True)
        box.markdown(f"**{title}**")
        box.markdown("\n".join(f"- {line}" for line in lines))
    missing = {k: int(((kpis["kind"] == k) & (kpis["status"] == "no_data")).sum()) for k in ("progress", "effect")}
    links = attention.logic_links(attention.kind_group(kpis, "progress"), attention.kind_group(kpis, "effect"), missing)
    st.markdown("\n".join(f"- **{link}**: {reading}" for link, reading in links))


def commentary(said: pd.DataFrame, kpi_id: str) -> None:
    """What the office wrote beside its figures (the data call's reply): the latest, then its history."""
    if said.empty:
        return
    latest = said.iloc[0]
    who = "・".join(labels.plain(v) for v in (latest["office"], latest["person"]) if isinstance(v, str))
    head = f"**取組状況**({labels.period(latest['period'])}の回答{'、' + who if who else ''}"
    head += "、デモ・合成データ)" if latest["is_synthetic"] else ")"
    lines = [head]
    for title, column in (("取組状況", "progress"), ("今後の対応", "next_steps")):
        if isinstance(latest[column], str):
            lines.append(f"- {title}: " + labels.plain(latest[column]))
    st.markdown("\n".join(lines))
    if len(said) > 1:
        with st.expander(f"{kpi_id} の取組状況の履歴({len(said)}件)"):
            st.dataframe(pd.DataFrame({
                "回答の期間": said["period"].map(labels.period), "取組状況": said["progress"], "今後の対応": said["next_steps"],
                "担当課室": said["office"], "担当者": said["person"], "受領": said["known_at"].map(labels.timestamp),
                "版": said["revision"]}), placeholder="—", hide_index=True)


def comment_entry(measure: dict, kpis: pd.DataFrame, as_of: dt.date) -> None:
    """取組状況 / 今後の対応 typed on the measure page by a signed-in owner of the measure (or the secretariat):
    the rules of a reply's commentary, kept as a batch of its own (etl.datacall.commentary)."""
    from etl.datacall import commentary
    from etl.observations.store import now_jst
    from ui import auth

    saved = st.session_state.pop("comment_saved", None)
    with st.expander("取組状況・今後の対応を記入する(主担当府省庁の担当者・事務局)", icon=":material/edit_note:",
                     expanded=bool(saved)):  # the confirmation must be seen, not folded away
        if saved:
            st.success(saved)
        user = auth.current_user("comment")
        if not user:
            return
        allowed = auth.ministries_of(user)
        if allowed is not None and not set(measure["lead_ministries"]) & set(allowed):
            st.info(f"この施策の主担当({labels.join(measure['lead_ministries'])})の担当者と事務局だけが記入できます。")
            return
        today = now_jst().date()
        months = [str(m) for m in pd.period_range(end=today, periods=13, freq="M")[::-1]]
        names = dict(zip(kpis["kpi_id"], kpis["name"]))
        with st.form("comment_entry"):
            kpi = st.selectbox("KPI", list(names), format_func=lambda k: f"{k} {labels.plain(names[k])}", key="comment_kpi")
            period = st.selectbox("対象の期間", months, index=1, format_func=lambda p: labels.period(p) + "分",
                                  key="comment_period")
            values = {head: (st.text_area if longest > 100 else st.text_input)(head, max_chars=longest, key=f"comment_{column}")
                      for head, (column, longest) in commentary.FIELDS.items()}
            if st.form_submit_button("記録する", type="primary"):
                try:
                    batch = commentary.enter(kpi, period, values, user, allowed_ministries=allowed)
                except commentary.CommentError as e:
                    st.error(labels.plain(e))
                    return
                later = "" if as_of >= today else f" 基準日を{labels.date_ja(today)}以降にすると表示されます。"
                st.session_state["comment_saved"] = f"{kpi} の取組状況を記録しました(読込番号 {batch})。{later}"
                st.rerun()
