-- Which policy direction (and sub-measure) of 002 each measure serves: a reviewed mapping
-- (data/reference/measure_directions.yaml, a reason for each), since no document links the two.
-- One primary row per measure (direction NULL when none fits), plus secondary rows.
create or replace view measure_directions as
with links as (select * from core.measure_directions),
measures as (select measure_no, title from core.measures),
directions as (select distinct direction_no, direction from core.directions),
subs as (select sub_id, sub_measure from core.directions),
final as (
    select
        l.measure_no,
        m.title,
        l.role,
        l.direction_no,
        d.direction,
        l.sub_id,
        s.sub_measure,
        l.reason
    from links l
    join measures m using (measure_no)
    left join directions d using (direction_no)
    left join subs s using (sub_id)
)
select * from final order by measure_no, role, sub_id;
