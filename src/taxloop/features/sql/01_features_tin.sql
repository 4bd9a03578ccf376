-- features_tin: one row per TIN. Registration attributes (latest record), entity, shared contacts,
-- registration changes and market-regulation status. Source tables in braces are filled in by build.py.
-- tin_key: the TIN's integer key (taxloop.analytics.keys), what features_period's sources and the buyer side's
-- seller look-up join on.
WITH ranked AS (
    SELECT t.*,
           row_number() OVER (PARTITION BY tin ORDER BY registered_on DESC, registration_id DESC) AS rn,
           min(registered_on) OVER (PARTITION BY tin) AS first_registered_on,
           count(*) OVER (PARTITION BY tin) AS n_records
    FROM {taxpayers} AS t
),
emap AS (
    SELECT tin, min(entity_id) AS entity_id FROM {entity_map} GROUP BY tin
),
base AS (
    SELECT r.tin, coalesce(m.entity_id, r.tin) AS entity_id, r.registration_id, r.name, r.kind,
           r.legal_rep_id, r.finance_officer_id, r.phone, r.address, r.industry_code, r.region_code,
           r.vat_status, CAST(r.registered_capital AS DOUBLE) AS registered_capital,
           r.first_registered_on AS registered_on, r.deregistered_on, r.status, r.n_records
    FROM ranked AS r LEFT JOIN emap AS m ON m.tin = r.tin
    WHERE r.rn = 1
),
rep AS (
    SELECT legal_rep_id, count(DISTINCT entity_id) AS n FROM base WHERE legal_rep_id IS NOT NULL GROUP BY legal_rep_id
),
fin AS (
    SELECT finance_officer_id, count(DISTINCT entity_id) AS n
    FROM base WHERE finance_officer_id IS NOT NULL GROUP BY finance_officer_id
),
ph AS (
    SELECT phone, count(DISTINCT entity_id) AS n FROM base WHERE phone IS NOT NULL GROUP BY phone
),
chg AS (
    SELECT tin,
           count(*) AS changes_n,
           sum(CASE WHEN field = 'legal_rep_id' THEN 1 ELSE 0 END) AS legal_rep_changes_n,
           max(CASE WHEN field = 'legal_rep_id' THEN changed_on END) AS legal_rep_changed_on,
           max(changed_on) AS last_changed_on
    FROM {taxpayer_changes}
    GROUP BY tin
),
mkt AS (
    SELECT credit_code AS tin, max(status) AS market_status, min(established_on) AS market_established_on
    FROM {market_registrations}
    GROUP BY credit_code
)
SELECT b.tin, tk.tin_key, b.entity_id, b.registration_id, b.name, b.kind, b.legal_rep_id, b.finance_officer_id, b.phone,
       b.address, b.industry_code, b.region_code, b.vat_status, b.registered_capital, b.registered_on,
       b.deregistered_on, b.status, b.n_records,
       coalesce(rep.n, 0) AS legal_rep_n_entities,
       coalesce(fin.n, 0) AS finance_officer_n_entities,
       coalesce(ph.n, 0) AS phone_n_entities,
       coalesce(chg.changes_n, 0) AS changes_n,
       coalesce(chg.legal_rep_changes_n, 0) AS legal_rep_changes_n,
       chg.legal_rep_changed_on,
       CASE WHEN chg.legal_rep_changed_on IS NULL THEN NULL
            ELSE year(chg.legal_rep_changed_on) * 12 + month(chg.legal_rep_changed_on) - 1 END AS legal_rep_changed_pidx,
       chg.last_changed_on,
       mkt.market_status,
       mkt.market_established_on,
       year(b.registered_on) * 12 + month(b.registered_on) - 1 AS registered_pidx
FROM base AS b
LEFT JOIN rep ON rep.legal_rep_id = b.legal_rep_id
LEFT JOIN fin ON fin.finance_officer_id = b.finance_officer_id
LEFT JOIN ph ON ph.phone = b.phone
LEFT JOIN chg ON chg.tin = b.tin
LEFT JOIN mkt ON mkt.tin = b.tin
LEFT JOIN {tin_keys} AS tk ON tk.tin = b.tin
