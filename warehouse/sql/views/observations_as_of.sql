-- observations_as_of(d): the value of every KPI × area × period as it was known at the end of day d (JST).
-- A real value always wins over a synthetic one; among values of the same kind the latest known wins.
create or replace macro observations_as_of(as_of) as table
select * exclude (pick)
from (
    select
        h.*,
        row_number() over (
            partition by kpi_id, area_code, period
            order by is_synthetic, known_at desc, batch_id desc nulls last
        ) as pick
    from observations_history h
    where h.known_at < cast(as_of as date) + interval 1 day
)
where pick = 1;
