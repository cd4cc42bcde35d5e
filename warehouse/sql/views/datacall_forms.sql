-- datacall_forms: the request forms of the monthly data call (照会) as they were sent (etl/datacall/forms.py).
create or replace view datacall_forms as
select form_no, period, recipient, recipient_name, deadline, rows, digest, file_name, made_at, made_by, is_synthetic
from core.datacall_forms;
