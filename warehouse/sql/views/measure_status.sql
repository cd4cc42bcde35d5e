-- measure_status: measure_status_as_of(d) as of today; call the macro with a date to reproduce a past report.
create or replace view measure_status as
select * from measure_status_as_of(current_date);
