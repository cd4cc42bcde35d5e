-- Roll-ups of kpi_status_as_of(d) for the plan KPIs (進捗 and 効果; reference indicators excluded), at the
-- national level. A measure's status per kind is the status of lowest rank among its KPIs (statuses.rank):
-- the worst judged status (悪化 < 未達 < 遅れ < 要加速 < 予定どおり < 順調 < 期限内達成・その後低下 < 達成);
-- with no judged KPI, 期限後の実績未報告, then データ不足/基準値なし, then the worst trend reading, then データなし.

create or replace macro measure_status_as_of(as_of) as table
with ks as (
    select k.*, st.rank, st.judged
    from kpi_status_as_of(as_of, national_only := true) k join core.statuses st on st.code = k.status
    where k.area_code = '000000' and k.kind in ('progress', 'effect')
),
per_kind as (
    select measure_no, kind,
           arg_min(status, rank) as status,
           count(*) as kpis,
           count(*) filter (where judged) as kpis_judged,
           bool_or(includes_synthetic) as includes_synthetic
    from ks group by measure_no, kind
),
final as (
    select
        m.measure_no, m.title, m.pillar, m.lead_ministries, m.ministries,
        cast(as_of as date) as as_of,
        coalesce(p.status, 'no_data') as progress_status, sp.label as progress_label, sp.icon as progress_icon,
        coalesce(e.status, 'no_data') as effect_status, se.label as effect_label, se.icon as effect_icon,
        coalesce(p.kpis, 0) as progress_kpis, coalesce(p.kpis_judged, 0) as progress_kpis_judged,
        coalesce(e.kpis, 0) as effect_kpis, coalesce(e.kpis_judged, 0) as effect_kpis_judged,
        coalesce(p.includes_synthetic, false) or coalesce(e.includes_synthetic, false) as includes_synthetic
    from core.measures m
    left join per_kind p on p.measure_no = m.measure_no and p.kind = 'progress'
    left join per_kind e on e.measure_no = m.measure_no and e.kind = 'effect'
    left join core.statuses sp on sp.code = coalesce(p.status, 'no_data')
    left join core.statuses se on se.code = coalesce(e.status, 'no_data')
)
select * from final;

create or replace macro ministry_status_as_of(as_of) as table
with ks as (
    select * from kpi_status_as_of(as_of, national_only := true) where kind in ('progress', 'effect')
),
roles as (  -- a ministry counts once as lead (◎) and once among all involved ministries
    select m.measure_no, unnest(m.lead_ministries) as ministry, 'lead' as role from core.measures m
    union all
    select m.measure_no, unnest(m.ministries) as ministry, 'involved' as role from core.measures m
),
final as (
    select r.ministry, r.role, ks.kind, ks.status, any_value(st.label) as status_label,
           count(distinct ks.measure_no) as measures, count(*) as kpis,
           bool_or(ks.includes_synthetic) as includes_synthetic
    from roles r
    join ks using (measure_no)
    left join core.statuses st on st.code = ks.status
    group by r.ministry, r.role, ks.kind, ks.status
)
select *, cast(as_of as date) as as_of from final;

create or replace macro pillar_status_as_of(as_of) as table
with ks as (
    select k.*, coalesce(m.pillar, '(柱なし)') as pillar
    from kpi_status_as_of(as_of, national_only := true) k join core.measures m using (measure_no)
    where k.kind in ('progress', 'effect')
),
final as (
    select pillar, kind, status, any_value(st.label) as status_label,
           count(distinct measure_no) as measures, count(*) as kpis, bool_or(includes_synthetic) as includes_synthetic
    from ks left join core.statuses st on st.code = ks.status
    group by pillar, kind, status
)
select *, cast(as_of as date) as as_of from final;

-- The same by policy direction of 002 (a measure counts under its primary direction; none fits: '(対応なし)').
create or replace macro direction_status_as_of(as_of) as table
with ks as (
    select k.* exclude (direction), coalesce(d.direction_no, -1) as direction_no, coalesce(d.direction, '(対応なし)') as direction,
           coalesce(d.short_name, '(対応なし)') as short_name
    from kpi_status_as_of(as_of, national_only := true) k
    join core.measure_directions md on md.measure_no = k.measure_no and md.role = 'primary'
    left join (select distinct direction_no, direction, short_name from core.directions) d on d.direction_no = md.direction_no
    where k.kind in ('progress', 'effect')
),
final as (
    select direction_no, any_value(direction) as direction, any_value(short_name) as short_name, kind, status,
           any_value(st.label) as status_label,
           count(distinct measure_no) as measures, count(*) as kpis, bool_or(includes_synthetic) as includes_synthetic
    from ks left join core.statuses st on st.code = ks.status
    group by direction_no, kind, status
)
select *, cast(as_of as date) as as_of from final;

create or replace macro area_status_as_of(as_of) as table
with ks as (
    select * from kpi_status_as_of(as_of) where area_code <> '000000' and kind in ('progress', 'effect')
),
final as (
    select ks.area_code, any_value(a.name) as area_name, any_value(a.level) as area_level,
           any_value(a.prefecture_code) as prefecture_code, ks.kind, ks.status, any_value(st.label) as status_label,
           count(*) as kpis, count(distinct ks.measure_no) as measures, bool_or(ks.includes_synthetic) as includes_synthetic
    from ks
    join core.areas a on a.area_code = ks.area_code
    left join core.statuses st on st.code = ks.status
    group by ks.area_code, ks.kind, ks.status
)
select *, cast(as_of as date) as as_of from final;
