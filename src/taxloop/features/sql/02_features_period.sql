-- features_period: one row per TIN and month (period 'YYYY-MM'). Invoices are read by two CTEs, the seller side and
-- the buyer side, each grouping the invoices of its part straight into (TIN key, month); returns and third-party
-- monthly tables are read once each. Money is summed exactly (DECIMAL) and stored as DOUBLE (analytics, not
-- ledger). Built in parts by range of the TIN key (bucket).
-- Every source is keyed by the integer TIN key and month index (tin_key, pidx = year * 12 + month - 1;
-- taxloop.analytics.keys): joins on them cost about half of joins on ('TIN', 'YYYY-MM') strings; the TIN and
-- period are decoded once at the end.
-- Shape kept prunable (taxloop.features.prune): one CTE per source keyed (tin_key, pidx), all joined in one chain
-- of FULL OUTER JOIN ... USING (tin_key, pidx); a column the scan does not read is dropped, and a CTE left with
-- nothing but its key leaves the chain (or stays key-only when a consumer depends on the row set). Columns of the
-- invoice CTEs are qualified (i., s.), so that the buyer side's join to the seller's registration, needed only by
-- the bad / new seller amounts, leaves a pruned query that does not read them.
-- Invoice flags: void = status 'void'; red = status 'red' or a negative amount; the other flags and every sum
-- count non-void invoices only; the month of an invoice is that of issued_on. The 0/1 flags are counted
-- (count(*) FILTER), not summed (a sum of INTEGER keeps a HUGEINT state per group: the seller side of one part
-- took 3.2 s against 2.4 s at 1M), then cast to HUGEINT, the type they had when they were sums of the invoice
-- cells (until session 12): stored as DOUBLE, and BIGINT on Spark (taxloop.analytics.spark_sql).
-- Written in TIN and month order: the 23 rules and the year and entity roll-ups that read this table group
-- one TIN's rows that lie together, and Parquet stores the runs of TIN, entity, industry and region compactly
-- (1M city: 480 -> 72 MB a part, rules 37 -> 16 s). A pruned scan stages its columns in memory and drops the
-- ORDER BY (taxloop.features.plan): there the sort costs more than it saves.
WITH inv_out AS (
    SELECT i.seller_key AS tin_key, CAST(year(i.issued_on) * 12 + month(i.issued_on) - 1 AS INTEGER) AS pidx,
           count(*) AS out_n,
           CAST(count(*) FILTER (WHERE i.status = 'void') AS HUGEINT) AS out_void_n,
           CAST(count(*) FILTER (WHERE i.status = 'red' OR i.amount < 0) AS HUGEINT) AS out_red_n,
           CAST(sum(CASE WHEN i.status <> 'void' THEN i.amount END) AS DOUBLE) AS out_amount,
           CAST(sum(CASE WHEN i.status <> 'void' THEN i.tax_amount END) AS DOUBLE) AS out_tax,
           CAST(sum(CASE WHEN i.status <> 'void' AND i.kind = 'special' THEN i.amount END) AS DOUBLE)
               AS out_special_amount,
           CAST(sum(CASE WHEN i.buyer_key IS NULL AND i.status <> 'void' THEN i.amount ELSE 0 END) AS DOUBLE)
               AS out_consumer_amount,
           CAST(count(*) FILTER (WHERE i.status <> 'void' AND i.amount >= 1000
                AND i.amount >= 0.9 * power(10, ceil(log10(CAST(i.amount AS DOUBLE))))) AS HUGEINT) AS out_near_quota_n,
           CAST(count(*) FILTER (WHERE i.status <> 'void' AND i.amount >= 1000 AND i.amount % 1000 = 0) AS HUGEINT)
               AS out_round_n,
           CAST(count(*) FILTER (WHERE i.status <> 'void' AND i.amount > 0) AS HUGEINT) AS out_positive_n
    FROM {invoices} AS i
    WHERE {bucket(i.seller_key)}
    GROUP BY i.seller_key, CAST(year(i.issued_on) * 12 + month(i.issued_on) - 1 AS INTEGER)
),
inv_in AS (
    -- the seller's registration (features_tin, one row per TIN key) for the "abnormal / deregistered / new
    -- seller" amounts of what the buyer bought
    SELECT i.buyer_key AS tin_key, CAST(year(i.issued_on) * 12 + month(i.issued_on) - 1 AS INTEGER) AS pidx,
           count(*) AS in_n,
           CAST(sum(CASE WHEN i.status <> 'void' THEN i.amount END) AS DOUBLE) AS in_amount,
           CAST(sum(CASE WHEN i.status <> 'void' AND i.kind = 'special' THEN i.tax_amount END) AS DOUBLE)
               AS in_special_tax,
           CAST(sum(CASE WHEN i.status <> 'void' AND (s.status = 'abnormal' OR s.deregistered_on <= i.issued_on)
                         THEN i.amount END) AS DOUBLE) AS in_bad_seller_amount,
           CAST(sum(CASE WHEN i.status <> 'void' AND datediff('day', s.registered_on, i.issued_on) < 180
                         THEN i.amount END) AS DOUBLE) AS in_new_seller_amount
    FROM {invoices} AS i
    LEFT JOIN features_tin AS s ON s.tin_key = i.seller_key
    WHERE i.buyer_key IS NOT NULL AND {bucket(i.buyer_key)}
    GROUP BY i.buyer_key, CAST(year(i.issued_on) * 12 + month(i.issued_on) - 1 AS INTEGER)
),
vat AS (
    -- vat_returns, iit_withholding, social_insurance and utilities have the contract key (tin, period) and the
    -- loader quarantines duplicate keys, so these four are read row by row, without GROUP BY (CONVENTIONS.md)
    SELECT tin_key, CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS pidx,
           CAST(1 AS BIGINT) AS vat_returns_n,
           CAST(sales AS DOUBLE) AS vat_sales,
           CAST(coalesce(exempt_sales, 0) AS DOUBLE) AS vat_exempt_sales,
           CAST(output_tax AS DOUBLE) AS vat_output,
           CAST(input_tax AS DOUBLE) AS vat_input,
           CAST(tax_payable AS DOUBLE) AS vat_payable,
           CASE WHEN year(filed_on) * 12 + month(filed_on) - 1
                     > CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)
                     OR (year(filed_on) * 12 + month(filed_on) - 1
                         = CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)
                         AND day(filed_on) > 15)
                THEN 1 ELSE 0 END AS vat_late
    FROM {vat_returns}
    WHERE {bucket(tin_key)}
),
iit AS (
    SELECT tin_key, CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS pidx, CAST(1 AS BIGINT) AS iit_rows, CAST(employees AS DOUBLE) AS iit_employees,
           CAST(payroll AS DOUBLE) AS iit_payroll,
           CAST(tax_withheld AS DOUBLE) AS iit_tax
    FROM {iit_withholding}
    WHERE {bucket(tin_key)}
),
si AS (
    SELECT tin_key, CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS pidx, CAST(insured_employees AS DOUBLE) AS si_insured, CAST(contribution_base AS DOUBLE) AS si_base
    FROM {social_insurance}
    WHERE {bucket(tin_key)}
),
util AS (
    SELECT tin_key, CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS pidx, CAST(kwh AS DOUBLE) AS kwh, CAST(coalesce(water_m3, 0) AS DOUBLE) AS water_m3
    FROM {utilities}
    WHERE {bucket(tin_key)}
),
who AS (
    -- the TIN key decoded once per TIN (not per row): TIN, entity and registration attributes, one join below
    SELECT d.tin_key, d.tin, coalesce(t.entity_id, d.tin) AS entity_id, t.industry_code, t.region_code
    FROM {tin_keys} AS d
    LEFT JOIN features_tin AS t ON t.tin_key = d.tin_key
),
months AS (
    -- month index -> 'YYYY-MM' for the years 0000-9999: joining this once costs less than formatting every row
    SELECT CAST(p AS INTEGER) AS pidx, printf('%04d-%02d', p // 12, p % 12 + 1) AS period
    FROM (SELECT unnest(generate_series(0, 119999)) AS p) AS g
),
as_of AS (
    SELECT max(greatest(due_on, coalesce(paid_on, due_on))) AS d FROM {payments}
),
pay AS (
    SELECT k.tin_key, CAST(substr(k.period, 1, 4) AS INTEGER) * 12 + CAST(substr(k.period, 6, 2) AS INTEGER) - 1 AS pidx,
           CAST(sum(k.amount_due) AS DOUBLE) AS pay_due,
           CAST(sum(k.amount_paid) AS DOUBLE) AS pay_paid,
           sum(CASE WHEN k.paid_on > k.due_on THEN 1 ELSE 0 END) AS pay_late_n,
           CAST(sum(CASE WHEN k.amount_due > k.amount_paid AND k.due_on < a.d
                         THEN k.amount_due - k.amount_paid ELSE 0 END) AS DOUBLE) AS pay_overdue_amount,
           max(CASE WHEN k.amount_due > k.amount_paid AND k.due_on < a.d
                    THEN datediff('day', k.due_on, a.d) END) AS pay_overdue_days
    FROM {payments} AS k CROSS JOIN as_of AS a
    WHERE {bucket(k.tin_key)}
    GROUP BY k.tin_key, k.period
)
SELECT w.tin, mo.period,
       k.pidx,
       CAST(k.pidx // 12 AS INTEGER) AS year,
       w.entity_id,
       w.industry_code, w.region_code,
       coalesce(k.out_n, 0) AS out_n, coalesce(k.out_void_n, 0) AS out_void_n, coalesce(k.out_red_n, 0) AS out_red_n,
       coalesce(k.out_amount, 0) AS out_amount, coalesce(k.out_tax, 0) AS out_tax,
       coalesce(k.out_special_amount, 0) AS out_special_amount,
       coalesce(k.out_consumer_amount, 0) AS out_consumer_amount,
       coalesce(k.out_near_quota_n, 0) AS out_near_quota_n, coalesce(k.out_round_n, 0) AS out_round_n,
       coalesce(k.out_positive_n, 0) AS out_positive_n,
       coalesce(k.in_n, 0) AS in_n, coalesce(k.in_amount, 0) AS in_amount,
       coalesce(k.in_special_tax, 0) AS in_special_tax,
       coalesce(k.in_bad_seller_amount, 0) AS in_bad_seller_amount,
       coalesce(k.in_new_seller_amount, 0) AS in_new_seller_amount,
       CASE WHEN k.vat_returns_n IS NULL THEN 0 ELSE 1 END AS vat_filed,
       k.vat_sales, k.vat_exempt_sales, k.vat_output, k.vat_input, k.vat_payable, coalesce(k.vat_late, 0) AS vat_late,
       CASE WHEN k.iit_rows IS NULL THEN 0 ELSE 1 END AS iit_filed,
       coalesce(k.iit_employees, 0) AS iit_employees, coalesce(k.iit_payroll, 0) AS iit_payroll,
       coalesce(k.iit_tax, 0) AS iit_tax,
       coalesce(k.si_insured, 0) AS si_insured, coalesce(k.si_base, 0) AS si_base,
       coalesce(k.kwh, 0) AS kwh, coalesce(k.water_m3, 0) AS water_m3,
       coalesce(k.pay_due, 0) AS pay_due, coalesce(k.pay_paid, 0) AS pay_paid, coalesce(k.pay_late_n, 0) AS pay_late_n,
       coalesce(k.pay_overdue_amount, 0) AS pay_overdue_amount, k.pay_overdue_days
FROM (
    SELECT *
    FROM inv_out
    FULL OUTER JOIN inv_in USING (tin_key, pidx)
    FULL OUTER JOIN vat USING (tin_key, pidx)
    FULL OUTER JOIN iit USING (tin_key, pidx)
    FULL OUTER JOIN si USING (tin_key, pidx)
    FULL OUTER JOIN util USING (tin_key, pidx)
    FULL OUTER JOIN pay USING (tin_key, pidx)
) AS k
LEFT JOIN who AS w ON w.tin_key = k.tin_key
LEFT JOIN months AS mo ON mo.pidx = k.pidx
ORDER BY k.tin_key, k.pidx
