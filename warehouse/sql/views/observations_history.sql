-- Every value ever known for a KPI × area × period: loaded revisions and figures quoted in the documents.
create or replace view observations_history as
with loaded as (
    select
        o.kpi_id, o.area_code, o.area_level, o.period, o.fiscal_year, o.month, o.period_end, o.value,
        'load' as origin,
        o.batch_id,
        b.file_name || coalesce(' / ' || o.sheet, '') || ' 行' || o.row_number as location,
        o.source,
        o.note,
        null::varchar as quote,
        b.loaded_at as known_at,
        b.loaded_by,
        o.is_synthetic,
        o.revision,
        o.superseded_at
    from core.observations o
    join core.obs_batches b using (batch_id)
),
documents as (
    select
        kpi_id, area_code, area_level, period, fiscal_year, month, period_end, value,
        'document' as origin,
        null::integer as batch_id,
        location,
        document_title as source,
        case relation when 'component' then '複数の数値の合計: ' else '' end || reason as note,
        quote,
        known_at,
        'document' as loaded_by,
        false as is_synthetic,
        revision,
        superseded_at
    from core.document_observations
),
final as (
    select * from loaded
    union all by name
    select * from documents
)
select * from final;
