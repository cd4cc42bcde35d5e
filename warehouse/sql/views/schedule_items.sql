-- One row per schedule item (工程) of the 工程表, 2013–2021, after removing extraction duplicates.
create or replace view schedule_items as
with items as (select * from core.schedule_items),
sections as (select section_no, name from core.schedule_sections),
final as (
    select
        i.item_id,
        i.section_no,
        s.name as section,
        i.item_no,
        i.title,
        i.ministries,
        i.start_fy,
        i.end_fy,
        i.phase,
        i.phases,
        i.start_basis,
        i.end_basis,
        i.section_basis,
        i.section_confidence,
        i.section_alternative,
        i.section_label_line,
        i.narrative_line,
        i.narrative_score,
        i.item_text,
        i.source_file,
        i.source_line,
        i.source_page
    from items i
    join sections s using (section_no)
)
select * from final order by item_id;
