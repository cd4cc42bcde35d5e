-- kpi_status: kpi_status_as_of(d) as of today; call the macro with a date to reproduce a past report.
create or replace view kpi_status as
select * from kpi_status_as_of(current_date);
