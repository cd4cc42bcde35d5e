-- What the parsers could not read with confidence: source, location, kind, message.
create or replace view quality_issues as
with issues as (select * from core.quality_issues),
final as (select issue_id, source, location, kind, severity, entity_id, message from issues)
select * from final order by issue_id;
