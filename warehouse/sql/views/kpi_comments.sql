-- kpi_comments_history: every commentary an office ever sent for a KPI × area × period (取組状況, 今後の対応,
-- 担当課室, 担当者), with when it became known and its revision number; kpi_comments_as_of(d): the one in
-- force at the end of day d (the latest known by then; a real one before a synthetic one, as for values);
-- kpi_comments: as of today. Commentary is small (a row per KPI and office a month), so as-of is a ranking.
create or replace view kpi_comments_history as
select
    c.kpi_id, c.area_code, c.period, c.progress, c.next_steps, c.office, c.person,
    c.batch_id, b.file_name || coalesce(' / ' || c.sheet, '') || coalesce(' 行' || c.row_number, '') as location,
    b.loaded_at as known_at, b.loaded_by, c.is_synthetic,
    row_number() over (partition by c.kpi_id, c.area_code, c.period order by b.loaded_at, c.batch_id) as revision
from core.kpi_comments c
join core.obs_batches b using (batch_id);

create or replace macro kpi_comments_as_of(as_of) as table
select * exclude (revision), revision
from kpi_comments_history
where known_at < cast(as_of as date) + interval 1 day
qualify row_number() over (partition by kpi_id, area_code, period
                           order by is_synthetic, known_at desc, batch_id desc) = 1;

create or replace view kpi_comments as
select * from kpi_comments_as_of(current_date);
