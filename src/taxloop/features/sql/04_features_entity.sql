-- features_entity: one row per resolved taxpayer (entity_id from entity_map, else the TIN).
-- Attributes of its most recent registration, totals over every month and TIN, goods mix (non-void invoice
-- amounts sold and bought by 3-character goods-code prefix, straight from the invoices) and land held. Money
-- totals are summed as DECIMAL (exact, so the same on every engine) and stored as DOUBLE.
WITH prim AS (
    SELECT entity_id, tin, region_code, industry_code, kind, vat_status, status, registered_capital,
           row_number() OVER (PARTITION BY entity_id ORDER BY registered_on DESC, tin DESC) AS rn
    FROM features_tin
),
ent AS (
    SELECT entity_id, count(*) AS n_tins, min(registered_on) AS registered_on, min(registered_pidx) AS registered_pidx,
           max(deregistered_on) AS deregistered_on,
           max(CASE WHEN status = 'abnormal' THEN 1 ELSE 0 END) AS any_abnormal,
           max(legal_rep_n_entities) AS legal_rep_n_entities, max(phone_n_entities) AS phone_n_entities,
           max(finance_officer_n_entities) AS finance_officer_n_entities,
           sum(changes_n) AS changes_n, sum(legal_rep_changes_n) AS legal_rep_changes_n,
           max(legal_rep_changed_pidx) AS legal_rep_changed_pidx,
           max(market_status) AS market_status
    FROM features_tin
    GROUP BY entity_id
),
per AS (
    SELECT entity_id, count(*) AS months_n, min(pidx) AS first_pidx, max(pidx) AS last_pidx,
           min(CASE WHEN out_n > 0 THEN pidx END) AS first_out_pidx,
           max(CASE WHEN vat_filed = 1 THEN pidx END) AS last_vat_pidx,
           max(CASE WHEN out_n > 0 THEN pidx END) AS last_out_pidx,
           sum(vat_filed) AS vat_months_filed,
           CAST(sum(CAST(coalesce(vat_sales, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_sales,
           CAST(sum(CAST(coalesce(vat_exempt_sales, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_exempt_sales,
           CAST(sum(CAST(coalesce(vat_output, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_output,
           CAST(sum(CAST(coalesce(vat_input, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_input,
           CAST(sum(CAST(coalesce(vat_payable, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_payable,
           sum(out_n) AS out_n, sum(out_void_n) AS out_void_n, sum(out_red_n) AS out_red_n,
           CAST(sum(CAST(out_amount AS DECIMAL(38, 2))) AS DOUBLE) AS out_amount,
           CAST(sum(CAST(out_tax AS DECIMAL(38, 2))) AS DOUBLE) AS out_tax,
           CAST(sum(CAST(out_special_amount AS DECIMAL(38, 2))) AS DOUBLE) AS out_special_amount,
           sum(out_near_quota_n) AS out_near_quota_n, sum(out_round_n) AS out_round_n,
           sum(out_positive_n) AS out_positive_n,
           sum(in_n) AS in_n,
           CAST(sum(CAST(in_amount AS DECIMAL(38, 2))) AS DOUBLE) AS in_amount,
           CAST(sum(CAST(in_special_tax AS DECIMAL(38, 2))) AS DOUBLE) AS in_special_tax,
           CAST(sum(CAST(in_bad_seller_amount AS DECIMAL(38, 2))) AS DOUBLE) AS in_bad_seller_amount,
           CAST(sum(CAST(in_new_seller_amount AS DECIMAL(38, 2))) AS DOUBLE) AS in_new_seller_amount,
           CAST(sum(CAST(kwh AS DECIMAL(38, 2))) AS DOUBLE) AS kwh,
           CAST(sum(CAST(iit_payroll AS DECIMAL(38, 2))) AS DOUBLE) AS iit_payroll,
           CAST(sum(CAST(iit_tax AS DECIMAL(38, 2))) AS DOUBLE) AS iit_tax,
           sum(iit_filed) AS iit_months_filed, avg(iit_employees) AS iit_employees_avg,
           avg(si_insured) AS si_insured_avg, CAST(sum(CAST(si_base AS DECIMAL(38, 2))) AS DOUBLE) AS si_base,
           CAST(sum(CAST(pay_due AS DECIMAL(38, 2))) AS DOUBLE) AS pay_due,
           CAST(sum(CAST(pay_paid AS DECIMAL(38, 2))) AS DOUBLE) AS pay_paid,
           sum(pay_late_n) AS pay_late_n,
           CAST(sum(CAST(pay_overdue_amount AS DECIMAL(38, 2))) AS DOUBLE) AS pay_overdue_amount,
           max(pay_overdue_days) AS pay_overdue_days
    FROM features_period
    GROUP BY entity_id
),
goods AS (
    -- on the TIN keys of the invoices, decoded after the GROUP BY; a void invoice counts 0 (so a prefix only ever
    -- invoiced void is sold or bought for 0: goods_sold_unbought counts what was sold under it)
    SELECT tin_key, g, sum(sold) AS sold, sum(bought) AS bought
    FROM (
        SELECT i.seller_key AS tin_key, substr(i.goods_code, 1, 3) AS g,
               CASE WHEN i.status <> 'void' THEN coalesce(i.amount, 0) ELSE 0 END AS sold, 0 AS bought
        FROM {invoices} AS i
        UNION ALL
        SELECT i.buyer_key AS tin_key, substr(i.goods_code, 1, 3) AS g,
               0 AS sold, CASE WHEN i.status <> 'void' THEN coalesce(i.amount, 0) ELSE 0 END AS bought
        FROM {invoices} AS i WHERE i.buyer_key IS NOT NULL
    ) AS x
    GROUP BY tin_key, g
),
goods_e AS (
    SELECT coalesce(t.entity_id, d.tin) AS entity_id,
           CAST(sum(gg.sold) AS DOUBLE) AS goods_sold,
           CAST(sum(CASE WHEN gg.sold > 0 AND gg.bought <= 0 THEN gg.sold ELSE 0 END) AS DOUBLE) AS goods_sold_unbought,
           count(DISTINCT CASE WHEN gg.sold > 0 THEN gg.g END) AS goods_sold_n,
           count(DISTINCT CASE WHEN gg.bought > 0 THEN gg.g END) AS goods_bought_n
    FROM goods AS gg
    JOIN {tin_keys} AS d ON d.tin_key = gg.tin_key
    LEFT JOIN features_tin AS t ON t.tin_key = gg.tin_key
    GROUP BY coalesce(t.entity_id, d.tin)
),
as_of AS (SELECT max(pidx) AS pidx FROM features_period),
land AS (
    SELECT coalesce(t.entity_id, l.holder_id) AS entity_id, count(*) AS land_parcels_n,
           CAST(sum(l.area_m2) AS DOUBLE) AS land_area_m2, min(l.held_from) AS land_held_from
    FROM {land_parcels} AS l
    LEFT JOIN features_tin AS t ON t.tin = l.holder_id
    CROSS JOIN as_of
    WHERE l.held_to IS NULL OR year(l.held_to) * 12 + month(l.held_to) - 1 >= as_of.pidx
    GROUP BY coalesce(t.entity_id, l.holder_id)
)
SELECT e.entity_id, p.tin AS primary_tin, p.region_code, p.industry_code, p.kind, p.vat_status, p.status,
       p.registered_capital, e.n_tins, e.registered_on, e.registered_pidx, e.deregistered_on, e.any_abnormal,
       e.legal_rep_n_entities, e.phone_n_entities, e.finance_officer_n_entities, e.changes_n,
       e.legal_rep_changes_n, e.legal_rep_changed_pidx, e.market_status,
       as_of.pidx AS asof_pidx,
       coalesce(per.months_n, 0) AS months_n, per.first_pidx, per.last_pidx, per.first_out_pidx, per.last_vat_pidx,
       per.last_out_pidx,
       coalesce(per.vat_months_filed, 0) AS vat_months_filed, coalesce(per.vat_sales, 0) AS vat_sales,
       coalesce(per.vat_exempt_sales, 0) AS vat_exempt_sales, coalesce(per.vat_output, 0) AS vat_output,
       coalesce(per.vat_input, 0) AS vat_input, coalesce(per.vat_payable, 0) AS vat_payable,
       coalesce(per.out_n, 0) AS out_n, coalesce(per.out_void_n, 0) AS out_void_n,
       coalesce(per.out_red_n, 0) AS out_red_n, coalesce(per.out_amount, 0) AS out_amount,
       coalesce(per.out_tax, 0) AS out_tax, coalesce(per.out_special_amount, 0) AS out_special_amount,
       coalesce(per.out_near_quota_n, 0) AS out_near_quota_n, coalesce(per.out_round_n, 0) AS out_round_n,
       coalesce(per.out_positive_n, 0) AS out_positive_n,
       coalesce(per.in_n, 0) AS in_n, coalesce(per.in_amount, 0) AS in_amount,
       coalesce(per.in_special_tax, 0) AS in_special_tax,
       coalesce(per.in_bad_seller_amount, 0) AS in_bad_seller_amount,
       coalesce(per.in_new_seller_amount, 0) AS in_new_seller_amount,
       coalesce(per.kwh, 0) AS kwh, coalesce(per.iit_payroll, 0) AS iit_payroll, coalesce(per.iit_tax, 0) AS iit_tax,
       coalesce(per.iit_months_filed, 0) AS iit_months_filed, coalesce(per.iit_employees_avg, 0) AS iit_employees_avg,
       coalesce(per.si_insured_avg, 0) AS si_insured_avg, coalesce(per.si_base, 0) AS si_base,
       coalesce(per.pay_due, 0) AS pay_due, coalesce(per.pay_paid, 0) AS pay_paid,
       coalesce(per.pay_late_n, 0) AS pay_late_n, coalesce(per.pay_overdue_amount, 0) AS pay_overdue_amount,
       per.pay_overdue_days,
       coalesce(g.goods_sold, 0) AS goods_sold, coalesce(g.goods_sold_unbought, 0) AS goods_sold_unbought,
       coalesce(g.goods_sold_n, 0) AS goods_sold_n, coalesce(g.goods_bought_n, 0) AS goods_bought_n,
       coalesce(l.land_parcels_n, 0) AS land_parcels_n, coalesce(l.land_area_m2, 0) AS land_area_m2, l.land_held_from
FROM ent AS e
JOIN prim AS p ON p.entity_id = e.entity_id AND p.rn = 1
CROSS JOIN as_of
LEFT JOIN per ON per.entity_id = e.entity_id
LEFT JOIN goods_e AS g ON g.entity_id = e.entity_id
LEFT JOIN land AS l ON l.entity_id = e.entity_id
