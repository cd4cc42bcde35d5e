-- The nation, prefectures, municipalities (市区町村) and wards of designated cities.
create or replace view areas as
with areas as (select * from core.areas),
final as (
    select area_code, level, name, name_kana, kind, prefecture_code, prefecture, parent_code, code5, lat, lon
    from areas
)
select * from final order by area_code;
