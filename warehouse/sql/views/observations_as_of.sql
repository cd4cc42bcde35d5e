-- observations_as_of(d): the value of every KPI × area × period as it was known at the end of day d (JST).
-- A real value always wins over a synthetic one; among values of the same kind the latest known wins.
-- Each stored value carries the time it was superseded (warehouse/sql/refresh_revisions.sql), so this is
-- a filter on the history, not a ranking of it.
create or replace macro observations_as_of(as_of) as table
select * exclude (superseded_at)
from observations_history h
where h.known_at < cast(as_of as date) + interval 1 day
  and (h.superseded_at is null or h.superseded_at >= cast(as_of as date) + interval 1 day);
