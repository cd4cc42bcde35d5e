-- The source documents the warehouse was built from, with their SHA-256.
create or replace view sources as
with sources as (select * from core.sources),
final as (select source_key, file, title, sha256, bytes from sources)
select * from final order by file;
