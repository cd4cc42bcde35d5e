-- One row per measure × ministry named in its 府省庁名 (long form of measures.ministries).
create or replace view measure_ministries as
with measures as (select measure_no, ministries, lead_ministries from core.measures),
ministries as (select name, is_group from core.ministries),
exploded as (
    select measure_no, unnest(ministries) as ministry, lead_ministries from measures
),
final as (
    select
        e.measure_no,
        e.ministry,
        list_contains(e.lead_ministries, e.ministry) as is_lead,
        coalesce(mi.is_group, false) as is_group
    from exploded e
    left join ministries mi on mi.name = e.ministry
)
select * from final order by measure_no, not is_lead, ministry;
