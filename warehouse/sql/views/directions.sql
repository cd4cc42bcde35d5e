-- One row per sub-measure of the policy directions ①–⑤ of 総務省「ICT政策の方向性」 (002), a second
-- taxonomy beside the pillars; direction 0 is its 東日本大震災 block. With the number of measures mapped.
create or replace view directions as
with directions as (select * from core.directions),
mapped as (
    select sub_id, count(distinct measure_no) filter (where role = 'primary') as primary_measures,
           count(distinct measure_no) as measures
    from core.measure_directions where sub_id is not null group by sub_id
),
final as (
    select
        d.direction_no,
        d.direction,
        d.short_name,
        d.sub_no,
        d.sub_id,
        d.sub_measure,
        d.description,
        coalesce(m.primary_measures, 0) as primary_measures,
        coalesce(m.measures, 0) as measures,
        d.source_line
    from directions d
    left join mapped m using (sub_id)
)
select * from final order by direction_no = 0, direction_no, sub_no;
