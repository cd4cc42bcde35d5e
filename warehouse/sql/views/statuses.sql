-- The statuses with their Japanese labels, icons and colour-blind-safe colours.
create or replace view statuses as
with statuses as (select * from core.statuses),
final as (select code, label, icon, color, sort_order, judged from statuses)
select * from final order by sort_order;
