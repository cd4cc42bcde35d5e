-- direction_status: direction_status_as_of(d) as of today; call the macro with a date to reproduce a past report.
create or replace view direction_status as
select * from direction_status_as_of(current_date);
