-- Every load of observations: file, hash, who and when, row counts.
create or replace view obs_batches as
with batches as (select * from core.obs_batches),
final as (
    select batch_id, file_name, sha256, loaded_at, loaded_by, mode, rows_total, rows_valid, rows_rejected,
           rows_loaded, is_synthetic, note
    from batches
)
select * from final order by batch_id;
