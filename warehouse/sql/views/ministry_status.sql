-- ministry_status: ministry_status_as_of(d) as of today; call the macro with a date to reproduce a past report.
create or replace view ministry_status as
select * from ministry_status_as_of(current_date);
