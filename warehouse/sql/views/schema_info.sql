-- What this warehouse file is: the layout version analysts code against (docs/CHANGELOG.md), when and by
-- which Shinchoku it was built, and the source documents it was built from, with their hashes.
create or replace view schema_info as
with info as (select * from core.build_info),
final as (
    select
        (select value from info where key = 'schema_version') as schema_version,
        (select cast(value as timestamp) from info where key = 'built_at') as built_at,  -- UTC
        (select value from info where key = 'shinchoku_version') as shinchoku_version,
        (select value from info where key = 'defs_sha256') as kpi_defs_sha256,
        (select list(file order by file) from core.sources) as source_files,
        (select list(sha256 order by file) from core.sources) as source_sha256
)
select * from final;
