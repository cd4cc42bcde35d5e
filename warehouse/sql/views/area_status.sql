-- area_status: area_status_as_of(d) as of today; call the macro with a date to reproduce a past report.
create or replace view area_status as
select * from area_status_as_of(current_date);
