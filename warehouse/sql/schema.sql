-- Storage tables of the warehouse (schema core). Analysts use the views in
-- views.sql, which are the documented contract; these tables may change.
create schema if not exists core;

create table core.ministries (
    name        varchar primary key,
    kind        varchar not null,        -- cabinet | ministry | agency | commission | group | unknown
    is_group    boolean not null,
    is_known    boolean not null,        -- false: a name found in a source but not in data/reference/ministries.yaml
    sort_order  integer not null,
    aliases     varchar[] not null
);

create table core.pillars (
    code        varchar primary key,
    name        varchar not null unique,
    short_name  varchar not null,
    sort_order  integer not null,
    aliases     varchar[] not null
);

create table core.measures (
    measure_no              integer primary key,
    national_measure_no     varchar,
    title                   varchar not null,
    kpi_progress_text       varchar,
    kpi_effect_text         varchar,
    overview                varchar,
    overview_items          varchar[],
    pillar                  varchar,
    pillar_source_text      varchar,
    plan_listing            varchar,
    plan_start_fy           integer,
    effect_efficiency       boolean not null,
    effect_economy          boolean not null,
    effect_convenience      boolean not null,
    effect_safety           boolean not null,
    effect_flags_confidence varchar not null,
    effect_flags_cells      varchar not null,
    support                 varchar,
    support_items           varchar[],
    budget_program          varchar,
    budget_items            varchar[],
    reference_text          varchar,
    reference_url           varchar,
    reference_urls          varchar[],
    ministries_text         varchar not null,
    ministries              varchar[] not null,
    lead_ministries         varchar[] not null,
    ministry_groups         varchar[] not null,
    lead_basis              varchar not null,
    source_file             varchar not null,
    source_line             integer not null,
    source_page             integer not null,
    quality_flags           varchar[] not null
);

create table core.kpis (
    kpi_id          varchar primary key,
    measure_no      integer,
    section_no      integer,
    kind            varchar,
    ord             integer not null,
    name            varchar not null,
    indicator_group varchar,
    source_text     varchar not null,
    cell_text       varchar,
    target_text     varchar,
    target_kind     varchar not null,
    target_value    double,
    unit            varchar,
    comparator      varchar,
    target_fy       integer,
    target_timing   varchar,
    target_month    integer,
    target_date     date,
    base_fy         integer,
    base_value      double,
    target_factor   double,
    direction       varchar not null,
    area_level      varchar not null,
    aggregation     varchar not null,
    obs_fy_min      integer not null,
    obs_fy_max      integer not null,
    has_target      boolean not null,
    is_override     boolean not null,
    notes           varchar[]
);

-- The threshold set that judges each KPI and its effective values (status_methods.yaml + kpi_defs.yaml).
create table core.kpi_methods (
    kpi_id              varchar primary key,
    status_method       varchar not null,
    is_custom           boolean not null,   -- kpi_defs.yaml sets single values of its own
    on_track            double not null,
    acceleration_needed double not null,
    deterioration_below double not null,
    trend_improving     double not null,
    trend_worsening     double not null,
    maintain_tolerance  double not null,
    approx_tolerance    double not null,
    deadline_grace_days integer not null
);

-- The threshold sets of data/reference/status_methods.yaml.
create table core.status_methods (
    method              varchar primary key,
    label               varchar not null,
    source              varchar,
    on_track            double not null,
    acceleration_needed double not null,
    deterioration_below double not null,
    trend_improving     double not null,
    trend_worsening     double not null,
    maintain_tolerance  double not null,
    approx_tolerance    double not null,
    deadline_grace_days integer not null
);

create table core.kpi_overrides (
    kpi_id          varchar not null,
    field           varchar not null,
    generated_value varchar,
    override_value  varchar,
    reason          varchar,
    primary key (kpi_id, field)
);

create table core.schedule_sections (
    section_no  integer primary key,
    name        varchar not null,
    item_count  integer not null,
    source_line integer not null
);

create table core.schedule_items (
    item_id       varchar primary key,
    section_no    integer not null,
    item_no       integer not null,
    title         varchar not null,
    item_text     varchar not null,
    ministries    varchar[] not null,
    start_fy      integer not null,
    end_fy        integer not null,
    phase         varchar not null,
    phases        varchar[] not null,
    start_basis   varchar not null,
    end_basis     varchar not null,
    section_basis varchar not null,
    section_confidence  varchar not null,
    section_alternative varchar,
    section_label_line  integer not null,
    narrative_line      integer,
    narrative_score     double not null,
    source_file   varchar not null,
    source_line   integer not null,
    source_page   integer not null
);

-- Every quantitative figure the parser finds in the documents (etl/sources/figures.py), and the
-- reviewed links from figures to the KPIs they observe (data/reference/figure_map.yaml).
create table core.document_figures (
    figure_id    varchar primary key,
    document     varchar not null,
    source_file  varchar not null,
    line         integer not null,
    value        double not null,
    unit         varchar,
    kind         varchar not null,
    thing        varchar,
    as_of_text   varchar,
    as_of        varchar,
    as_of_basis  varchar,
    quote        varchar not null,
    approx       boolean not null,
    statement    varchar not null,
    certainty    varchar not null,
    note         varchar,
    context      varchar,
    published    date
);

create table core.figure_links (
    figure_id  varchar not null,
    kpi_id     varchar not null,
    relation   varchar not null,
    reason     varchar not null
);

create table core.directions (
    sub_id        varchar primary key,
    direction_no  integer not null,
    direction     varchar not null,
    short_name    varchar not null,
    sub_no        integer not null,
    sub_measure   varchar not null,
    description   varchar,
    source_line   integer not null
);

create table core.measure_directions (
    measure_no    integer not null,
    role          varchar not null,
    direction_no  integer,
    sub_id        varchar,
    reason        varchar not null
);

create table core.quality_issues (
    issue_id  integer primary key,
    source    varchar not null,
    location  varchar not null,
    kind      varchar not null,
    severity  varchar not null,
    entity_id varchar,
    message   varchar not null
);

create table core.sources (
    source_key varchar primary key,
    file       varchar not null,
    title      varchar,
    sha256     varchar not null,
    bytes      bigint not null
);

create table core.build_info (
    key   varchar primary key,
    value varchar
);

create table core.areas (
    area_code       varchar primary key,   -- 6-digit 全国地方公共団体コード with check digit; '000000' = 全国
    code5           varchar not null,
    level           varchar not null,      -- national | prefecture | municipality | ward
    name            varchar not null,
    name_kana       varchar not null,
    prefecture_code varchar,
    prefecture      varchar,
    parent_code     varchar,
    kind            varchar not null,
    lat             double,
    lon             double
);

-- Observation history: written by `shinchoku observations load` and `shinchoku demo`,
-- carried over from the previous warehouse by every build. Rows are only ever added.
create table core.obs_batches (
    batch_id      integer primary key,
    file_name     varchar not null,
    sha256        varchar not null,
    loaded_at     timestamp not null,      -- JST wall-clock time
    loaded_by     varchar not null,
    mode          varchar not null,        -- all_or_nothing | accept_valid | synthetic | datacall | comment
    rows_total    integer not null,
    rows_valid    integer not null,
    rows_rejected integer not null,
    rows_loaded   integer not null,
    is_synthetic  boolean not null,
    note          varchar
);

create table core.observations (
    batch_id     integer not null,
    kpi_id       varchar not null,
    area_code    varchar not null,
    area_level   varchar not null,
    period       varchar not null,         -- 'FY2020' or '2020-04'
    fiscal_year  integer not null,
    month        integer,
    period_end   date not null,
    value        double not null,
    source       varchar,
    note         varchar,
    sheet        varchar,
    row_number   integer,
    is_synthetic boolean not null,
    -- Derived by every write (etl/observations/store.refresh_revisions), so that "as of d" is a filter
    -- instead of a ranking of the whole history: the revision number within the KPI × area × period, and
    -- the time the first value that takes this one's place became known (null while nothing has).
    revision      bigint not null default 1,
    superseded_at timestamp
);

-- The request forms of the data call (照会様式) as sent: who, which period, how many rows, and the SHA-256 of
-- what each asked for (etl/datacall/forms.digest), by which a reply is recognised. Never updated.
create table core.datacall_forms (
    form_no        integer primary key,
    period         varchar not null,       -- '2021-03'
    recipient      varchar not null,       -- 'ministry:総務省' | 'prefecture:13'
    recipient_name varchar not null,
    deadline       date not null,
    rows           integer not null,
    digest         varchar not null,
    file_name      varchar not null,
    made_at        timestamp not null,     -- JST
    made_by        varchar not null,
    is_synthetic   boolean not null
);

-- The rows each form asked for, in order (KPI × area): what a reply still owes.
create table core.datacall_form_rows (
    form_no    integer not null,
    row_no     integer not null,           -- 1 = the first row under the headings
    kpi_id     varchar not null,
    area_code  varchar not null
);

-- The replies to those forms: each loaded reply is a batch (core.obs_batches) answering one form.
create table core.datacall_replies (
    batch_id     integer primary key,
    form_no      integer not null,
    received_at  timestamp not null,       -- JST
    rows_filled  integer not null,         -- rows with a figure
    comments     integer not null          -- rows with commentary
);

-- What the offices write beside their figures (the data call's 取組状況 / 今後の対応 / 担当課室 / 担当者),
-- per KPI × area × period, each row in a batch of core.obs_batches: a revision is a later batch's row for
-- the same key, and nothing is ever updated or deleted (views kpi_comments_history / kpi_comments_as_of).
create table core.kpi_comments (
    batch_id     integer not null,
    kpi_id       varchar not null,
    area_code    varchar not null,
    period       varchar not null,         -- the period reported on: 'FY2020' or '2021-03'
    progress     varchar,                  -- 取組状況
    next_steps   varchar,                  -- 今後の対応
    office       varchar,                  -- 担当課室
    person       varchar,                  -- 担当者
    sheet        varchar,
    row_number   integer,
    is_synthetic boolean not null
);

-- Derived by every write (etl/observations/store.refresh_revisions): how the total of the values reported
-- per area for a KPI × period changed at each moment a value became known or was superseded. The
-- national value as of d is the sum of the changes up to d, so status never scans every area's values.
create table core.area_totals (
    kpi_id      varchar not null,
    area_level  varchar not null,
    period      varchar not null,
    fiscal_year integer not null,
    month       integer,
    period_end  date not null,
    changed_at  timestamp not null,
    d_sum       decimal(38, 10) not null,  -- exact, so that additions and withdrawals cancel
    d_count     bigint not null,
    d_positive  bigint not null,
    d_synthetic bigint not null
);

-- Derived by every write (etl/observations/store.refresh_revisions): what is stored per KPI × area and
-- which periods a KPI has, so that the data-quality page's coverage never scans every stored value.
create table core.obs_coverage (
    kpi_id        varchar not null,
    area_code     varchar not null,
    stored_values bigint not null,  -- revisions included
    first_period  varchar not null,
    last_period   varchar not null,
    synthetic     boolean not null  -- no primary key: an index would be rewritten at every load's checkpoint
);

create table core.obs_periods (
    kpi_id varchar not null,
    period varchar not null
);

create table core.obs_quarantine (
    batch_id   integer not null,
    sheet      varchar,
    row_number integer not null,
    kpi_id     varchar,
    area       varchar,
    period     varchar,
    value      varchar,
    unit       varchar,
    source     varchar,
    note       varchar,
    reasons    varchar not null
);

-- Figures quoted in the bundled source documents, rebuilt by every build.
create table core.document_observations (
    kpi_id         varchar not null,
    area_code      varchar not null,
    area_level     varchar not null,
    period         varchar not null,
    fiscal_year    integer not null,
    month          integer,
    period_end     date not null,
    value          double not null,
    document       varchar not null,
    document_title varchar,
    quote          varchar not null,
    location       varchar not null,
    known_at       timestamp not null,     -- publication date of the document
    relation       varchar not null,       -- exact, or component (several figures summed)
    figure_ids     varchar not null,       -- the document_figures it comes from, comma-separated
    reason         varchar not null,       -- why the figure observes the KPI (figure_map.yaml)
    revision       bigint not null default 1,    -- as in core.observations
    superseded_at  timestamp
);

-- Progress statuses with their Japanese labels, icons and colour-blind-safe colours (statuses.yaml).
create table core.statuses (
    code       varchar primary key,
    label      varchar not null,
    icon       varchar not null,
    color      varchar not null,
    sort_order integer not null,
    family     varchar not null,   -- target | trend | none
    judged     boolean not null,
    rank       integer not null,   -- roll-up order: lowest first (worst judged status = 1)
    description varchar not null   -- what it means, in Japanese
);

-- Japanese eras (data/reference/eras.yaml), for dates written 和暦 (西暦) in the views' text.
create table core.eras (
    name       varchar primary key,
    first_year integer not null,
    start      date not null
);

create table core.trends (
    code  varchar primary key,
    label varchar not null,
    icon  varchar not null
);

-- What the ministries report on their schedule items (工程) in the data call: the state chosen on the form
-- (完了 / 実施中 / 遅れ / 未着手 / 中止), per item and reply. Never updated: a later reply's row is the next
-- revision (view schedule_reports_history, macro schedule_reports_as_of).
create table core.schedule_reports (
    batch_id     integer not null,
    item_id      varchar not null,
    period       varchar not null,         -- the month of the call: '2021-03'
    state        varchar not null,
    note         varchar,                  -- the form's 備考
    sheet        varchar,
    row_number   integer,
    is_synthetic boolean not null
);
