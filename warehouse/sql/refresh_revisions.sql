-- Number the revisions of the KPI × area × period keys listed in temp table revision_keys and record when
-- each value stopped being the one in force (etl/observations/store.refresh_revisions runs this).
--
-- observations_as_of(d) picks, per key, among the values known by d: a real value before a synthetic one,
-- then the latest known (then the highest batch; documents, which have none, rank below loads). A value
-- therefore stops being in force as soon as any value that beats it becomes known:
--   real value:      the next real value (same order);
--   synthetic value: the first real value, or the next synthetic value, whichever is known first.
-- A value beaten by one known no later than itself gets superseded_at <= known_at: never in force.
create or replace temp table revisions as
with stored as (
    select 'load' as origin, o.rowid as rid, o.kpi_id, o.area_code, o.period, b.loaded_at as known_at,
           o.batch_id, null::varchar as location, o.is_synthetic
    from core.observations o
    join core.obs_batches b using (batch_id)
    semi join revision_keys k using (kpi_id, area_code, period)
    union all
    select 'document', d.rowid, d.kpi_id, d.area_code, d.period, d.known_at, null, d.location, false
    from core.document_observations d
    semi join revision_keys k using (kpi_id, area_code, period)
)
select
    origin, rid,
    row_number() over (partition by kpi_id, area_code, period order by known_at, batch_id nulls first, location)
        as revision,
    case
        when is_synthetic then least(
            min(known_at) filter (where not is_synthetic) over (partition by kpi_id, area_code, period),
            lead(known_at) over same_kind)
        else lead(known_at) over same_kind
    end as superseded_at
from stored
window same_kind as (partition by kpi_id, area_code, period, is_synthetic
                     order by known_at, batch_id nulls first, location);

update core.observations o set revision = r.revision, superseded_at = r.superseded_at
from revisions r where r.origin = 'load' and o.rowid = r.rid;

update core.document_observations d set revision = r.revision, superseded_at = r.superseded_at
from revisions r where r.origin = 'document' and d.rowid = r.rid;

drop table revisions;
drop table revision_keys;
