-- pillar_status: pillar_status_as_of(d) as of today; call the macro with a date to reproduce a past report.
create or replace view pillar_status as
select * from pillar_status_as_of(current_date);
