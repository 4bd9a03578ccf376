-- features_period: one row per TIN and month (period 'YYYY-MM'). Invoices are read twice (seller side,
-- buyer side); returns and third-party monthly tables once each. Money is DOUBLE (analytics, not ledger).
WITH inv_out AS (
    SELECT seller_tin AS tin,
           strftime(issued_on, '%Y-%m') AS period,
           count(*) AS out_n,
           sum(CASE WHEN status = 'void' THEN 1 ELSE 0 END) AS out_void_n,
           sum(CASE WHEN status = 'red' OR amount < 0 THEN 1 ELSE 0 END) AS out_red_n,
           sum(CASE WHEN status <> 'void' THEN CAST(amount AS DOUBLE) ELSE 0 END) AS out_amount,
           sum(CASE WHEN status <> 'void' THEN CAST(tax_amount AS DOUBLE) ELSE 0 END) AS out_tax,
           sum(CASE WHEN status <> 'void' AND kind = 'special' THEN CAST(amount AS DOUBLE) ELSE 0 END)
               AS out_special_amount,
           sum(CASE WHEN status <> 'void' AND buyer_tin IS NULL THEN CAST(amount AS DOUBLE) ELSE 0 END)
               AS out_consumer_amount,
           sum(CASE WHEN status <> 'void' AND amount >= 1000
                         AND amount >= 0.9 * power(10, ceil(log10(CAST(amount AS DOUBLE))))
                    THEN 1 ELSE 0 END) AS out_near_quota_n,
           sum(CASE WHEN status <> 'void' AND amount >= 1000 AND amount % 1000 = 0 THEN 1 ELSE 0 END) AS out_round_n,
           sum(CASE WHEN status <> 'void' AND amount > 0 THEN 1 ELSE 0 END) AS out_positive_n
    FROM {invoices}
    GROUP BY seller_tin, strftime(issued_on, '%Y-%m')
),
inv_in AS (
    SELECT i.buyer_tin AS tin,
           strftime(i.issued_on, '%Y-%m') AS period,
           count(*) AS in_n,
           sum(CASE WHEN i.status <> 'void' THEN CAST(i.amount AS DOUBLE) ELSE 0 END) AS in_amount,
           sum(CASE WHEN i.status <> 'void' AND i.kind = 'special' THEN CAST(i.tax_amount AS DOUBLE) ELSE 0 END)
               AS in_special_tax,
           sum(CASE WHEN i.status <> 'void'
                         AND (s.status = 'abnormal' OR s.deregistered_on <= i.issued_on)
                    THEN CAST(i.amount AS DOUBLE) ELSE 0 END) AS in_bad_seller_amount,
           sum(CASE WHEN i.status <> 'void' AND datediff('day', s.registered_on, i.issued_on) < 180
                    THEN CAST(i.amount AS DOUBLE) ELSE 0 END) AS in_new_seller_amount
    FROM {invoices} AS i
    LEFT JOIN features_tin AS s ON s.tin = i.seller_tin
    WHERE i.buyer_tin IS NOT NULL
    GROUP BY i.buyer_tin, strftime(i.issued_on, '%Y-%m')
),
vat AS (
    SELECT tin, period,
           count(*) AS vat_returns_n,
           sum(CAST(sales AS DOUBLE)) AS vat_sales,
           sum(CAST(coalesce(exempt_sales, 0) AS DOUBLE)) AS vat_exempt_sales,
           sum(CAST(output_tax AS DOUBLE)) AS vat_output,
           sum(CAST(input_tax AS DOUBLE)) AS vat_input,
           sum(CAST(tax_payable AS DOUBLE)) AS vat_payable,
           max(CASE WHEN year(filed_on) * 12 + month(filed_on) - 1
                         > CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)
                         OR (year(filed_on) * 12 + month(filed_on) - 1
                             = CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)
                             AND day(filed_on) > 15)
                    THEN 1 ELSE 0 END) AS vat_late
    FROM {vat_returns}
    GROUP BY tin, period
),
iit AS (
    SELECT tin, period, count(*) AS iit_rows, sum(employees) AS iit_employees,
           sum(CAST(payroll AS DOUBLE)) AS iit_payroll,
           sum(CAST(tax_withheld AS DOUBLE)) AS iit_tax
    FROM {iit_withholding}
    GROUP BY tin, period
),
si AS (
    SELECT tin, period, sum(insured_employees) AS si_insured, sum(CAST(contribution_base AS DOUBLE)) AS si_base
    FROM {social_insurance}
    GROUP BY tin, period
),
util AS (
    SELECT tin, period, sum(CAST(kwh AS DOUBLE)) AS kwh, sum(CAST(coalesce(water_m3, 0) AS DOUBLE)) AS water_m3
    FROM {utilities}
    GROUP BY tin, period
),
as_of AS (
    SELECT max(greatest(due_on, coalesce(paid_on, due_on))) AS d FROM {payments}
),
pay AS (
    SELECT k.tin, k.period,
           sum(CAST(k.amount_due AS DOUBLE)) AS pay_due,
           sum(CAST(k.amount_paid AS DOUBLE)) AS pay_paid,
           sum(CASE WHEN k.paid_on > k.due_on THEN 1 ELSE 0 END) AS pay_late_n,
           sum(CASE WHEN k.amount_due > k.amount_paid AND k.due_on < a.d
                    THEN CAST(k.amount_due - k.amount_paid AS DOUBLE) ELSE 0 END) AS pay_overdue_amount,
           max(CASE WHEN k.amount_due > k.amount_paid AND k.due_on < a.d
                    THEN datediff('day', k.due_on, a.d) END) AS pay_overdue_days
    FROM {payments} AS k CROSS JOIN as_of AS a
    GROUP BY k.tin, k.period
)
SELECT k.tin, k.period,
       CAST(substr(k.period, 1, 4) AS INTEGER) * 12 + CAST(substr(k.period, 6, 2) AS INTEGER) - 1 AS pidx,
       CAST(substr(k.period, 1, 4) AS INTEGER) AS year,
       coalesce(t.entity_id, k.tin) AS entity_id,
       t.industry_code, t.region_code,
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
    FULL OUTER JOIN inv_in USING (tin, period)
    FULL OUTER JOIN vat USING (tin, period)
    FULL OUTER JOIN iit USING (tin, period)
    FULL OUTER JOIN si USING (tin, period)
    FULL OUTER JOIN util USING (tin, period)
    FULL OUTER JOIN pay USING (tin, period)
) AS k
LEFT JOIN features_tin AS t ON t.tin = k.tin
