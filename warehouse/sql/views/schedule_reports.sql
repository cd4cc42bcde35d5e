-- schedule_reports_history: every state a ministry reported for a schedule item (工程) in the data call, with
-- when it became known and its revision; schedule_reports_as_of(d): the one in force at the end of day d
-- (the latest known by then; a real one before a synthetic one). Small: as-of is a ranking.
create or replace view schedule_reports_history as
select
    r.item_id, r.period, r.state, r.note, r.batch_id,
    b.file_name || coalesce(' / ' || r.sheet, '') || coalesce(' 行' || r.row_number, '') as location,
    b.loaded_at as known_at, b.loaded_by, r.is_synthetic,
    row_number() over (partition by r.item_id order by b.loaded_at, r.batch_id) as revision
from core.schedule_reports r
join core.obs_batches b using (batch_id);

create or replace macro schedule_reports_as_of(as_of) as table
select *
from schedule_reports_history
where known_at < cast(as_of as date) + interval 1 day
qualify row_number() over (partition by item_id order by is_synthetic, known_at desc, batch_id desc) = 1;
