-- Ministries (府省庁) and groups (関係府省庁, 全府省庁), with how many measures name them.
create or replace view ministries as
with ministries as (select * from core.ministries),
measures as (select measure_no, ministries, lead_ministries from core.measures),
counts as (
    select
        mi.name,
        count(distinct m.measure_no) filter (where list_contains(m.lead_ministries, mi.name)) as lead_measures,
        count(distinct m.measure_no) filter (where list_contains(m.ministries, mi.name)) as measures
    from ministries mi
    left join measures m on list_contains(m.ministries, mi.name)
    group by mi.name
),
final as (
    select mi.name, mi.kind, mi.is_group, mi.is_known, mi.aliases, c.lead_measures, c.measures, mi.sort_order
    from ministries mi join counts c using (name)
)
select * from final order by sort_order, name;
