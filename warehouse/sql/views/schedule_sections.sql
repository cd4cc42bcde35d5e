-- The 施策群 (sections) of the 工程表 of the 地方創生IT利活用促進プラン.
create or replace view schedule_sections as
with sections as (select * from core.schedule_sections),
final as (select section_no, name, item_count, source_line from sections)
select * from final order by section_no;
