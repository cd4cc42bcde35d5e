-- Japanese display of dates and numbers in the text the views write (status_reason): dates as
-- 和暦 (西暦) in the official style 「令和3(2021)年3月31日」, fiscal years 「令和2(2020)年度」.
-- The era list is one uncorrelated subquery (run once per query), filtered per row without a join.

create or replace macro era_year(name, n) as name || case when n = 1 then '元' else cast(n as varchar) end;

-- The era a day falls in, as {'name', 'first_year', 'start'}.
create or replace macro era_of_date(d) as
    list_last(list_filter((select list(e order by e.start) from core.eras e), lambda x: x.start <= cast(d as date)));

-- The era a fiscal year is named by (令和元年度 = FY2019).
create or replace macro era_of_fy(fy) as
    list_last(list_filter((select list(e order by e.first_year) from core.eras e), lambda x: x.first_year <= fy));

create or replace macro wareki_date(d) as
    era_year(era_of_date(d).name, year(d) - era_of_date(d).first_year + 1) || '(' || year(d) || ')年'
    || month(d) || '月' || day(d) || '日';

create or replace macro wareki_month(d) as
    era_year(era_of_date(d).name, year(d) - era_of_date(d).first_year + 1) || '(' || year(d) || ')年' || month(d) || '月';

create or replace macro wareki_fy(fy) as
    era_year(era_of_fy(fy).name, fy - era_of_fy(fy).first_year + 1) || '(' || fy || ')年度';

-- A period key as people write it: 'FY2020' → 令和2(2020)年度, '2021-03' → 令和3(2021)年3月.
create or replace macro period_ja(period) as
    case
        when period like 'FY%' then wareki_fy(try_cast(substr(period, 3) as integer))
        when regexp_full_match(period, '\d{4}-\d{2}') then wareki_month(try_cast(period || '-01' as date))
        else period
    end;

-- 1,234 / 1,234.5 / 0.25: thousands separators, at most two decimals, no trailing zeros.
create or replace macro num_ja(x) as
    case
        when x is null then '—'
        when x = round(x) and abs(x) < 1e15 then format('{:,}', cast(x as bigint))
        else rtrim(rtrim(format('{:,.2f}', x), '0'), '.')
    end;
