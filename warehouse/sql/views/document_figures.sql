-- Every quantitative figure stated in the source documents (000 narrative, 001, 003, 004), found by
-- the parser, with the KPI it observes where a reviewed link says so (one row per figure and link).
create or replace view document_figures as
with figures as (select * from core.document_figures),
links as (select * from core.figure_links),
kpis as (select kpi_id, measure_no, name from core.kpis),
final as (
    select
        f.figure_id,
        f.document,
        f.source_file,
        f.line,
        f.value,
        f.unit,
        f.kind,
        f.thing,
        f.as_of_text,
        f.as_of,
        f.as_of_basis,
        f.approx,
        f.certainty,
        f.quote,
        f.note,
        f.context,
        f.published,
        l.kpi_id,
        k.measure_no,
        k.name as kpi_name,
        l.relation,
        l.reason
    from figures f
    left join links l using (figure_id)
    left join kpis k using (kpi_id)
)
select * from final order by document, line, figure_id;
