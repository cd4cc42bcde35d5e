-- The policy pillars (柱) and how many measures belong to each.
create or replace view pillars as
with pillars as (select * from core.pillars),
measures as (select measure_no, pillar from core.measures),
final as (
    select p.code, p.name, p.short_name, p.aliases, count(m.measure_no) as measures, p.sort_order
    from pillars p left join measures m on m.pillar = p.name
    group by all
)
select * from final order by sort_order;
