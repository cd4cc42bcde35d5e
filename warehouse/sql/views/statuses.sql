-- The statuses with their Japanese labels, icons and colour-blind-safe colours, their family (target:
-- judged against a target; trend: 目標なし・傾向; none: nothing to judge yet), whether they count as judged,
-- and their roll-up rank (a measure shows the lowest rank among its KPIs).
create or replace view statuses as
with statuses as (select * from core.statuses),
final as (select code, label, icon, color, sort_order, judged, family, rank, description from statuses)
select * from final order by sort_order;
