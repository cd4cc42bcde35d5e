-- datacall_forms: the request forms of the monthly data call (照会) as they were sent (etl/datacall/forms.py).
create or replace view datacall_forms as
select form_no, period, recipient, recipient_name, deadline, rows, digest, file_name, made_at, made_by, is_synthetic
from core.datacall_forms;

-- datacall_replies: every reply loaded (etl/datacall/collect.py), with the form it answers.
create or replace view datacall_replies as
select r.batch_id, r.form_no, f.period, f.recipient, f.recipient_name, r.received_at, b.file_name, b.loaded_by,
       r.rows_filled, r.comments, f.rows as rows_asked
from core.datacall_replies r
join core.datacall_forms f using (form_no)
join core.obs_batches b using (batch_id);
