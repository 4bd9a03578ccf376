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
           count(DISTINCT buyer_tin) AS out_buyers,
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
                         AND (s.status IN ('abnormal', 'deregistered') OR s.deregistered_on <= i.issued_on)
                    THEN CAST(i.amount AS DOUBLE) ELSE 0 END) AS in_bad_seller_amount,
           sum(CASE WHEN i.status <> 'void' AND datediff('day', s.registered_on, i.issued_on) < 180
                    THEN CAST(i.amount AS DOUBLE) ELSE 0 END) AS in_new_seller_amount,
           count(DISTINCT i.seller_tin) AS in_sellers
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
    SELECT tin, period, sum(employees) AS iit_employees, sum(CAST(payroll AS DOUBLE)) AS iit_payroll,
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
    SELECT p.tin, p.period,
           sum(CAST(p.amount_due AS DOUBLE)) AS pay_due,
           sum(CAST(p.amount_paid AS DOUBLE)) AS pay_paid,
           sum(CASE WHEN p.paid_on > p.due_on THEN 1 ELSE 0 END) AS pay_late_n,
           sum(CASE WHEN p.amount_due > p.amount_paid AND p.due_on < a.d
                    THEN CAST(p.amount_due - p.amount_paid AS DOUBLE) ELSE 0 END) AS pay_overdue_amount,
           max(CASE WHEN p.amount_due > p.amount_paid AND p.due_on < a.d
                    THEN datediff('day', p.due_on, a.d) END) AS pay_overdue_days
    FROM {payments} AS p CROSS JOIN as_of AS a
    GROUP BY p.tin, p.period
),
keys AS (
    SELECT tin, period FROM inv_out
    UNION SELECT tin, period FROM inv_in
    UNION SELECT tin, period FROM vat
    UNION SELECT tin, period FROM iit
    UNION SELECT tin, period FROM si
    UNION SELECT tin, period FROM util
    UNION SELECT tin, period FROM pay
)
SELECT k.tin, k.period,
       CAST(substr(k.period, 1, 4) AS INTEGER) * 12 + CAST(substr(k.period, 6, 2) AS INTEGER) - 1 AS pidx,
       CAST(substr(k.period, 1, 4) AS INTEGER) AS year,
       coalesce(t.entity_id, k.tin) AS entity_id,
       t.industry_code, t.region_code,
       coalesce(o.out_n, 0) AS out_n, coalesce(o.out_void_n, 0) AS out_void_n, coalesce(o.out_red_n, 0) AS out_red_n,
       coalesce(o.out_amount, 0) AS out_amount, coalesce(o.out_tax, 0) AS out_tax,
       coalesce(o.out_special_amount, 0) AS out_special_amount,
       coalesce(o.out_consumer_amount, 0) AS out_consumer_amount, coalesce(o.out_buyers, 0) AS out_buyers,
       coalesce(o.out_near_quota_n, 0) AS out_near_quota_n, coalesce(o.out_round_n, 0) AS out_round_n,
       coalesce(o.out_positive_n, 0) AS out_positive_n,
       coalesce(i.in_n, 0) AS in_n, coalesce(i.in_amount, 0) AS in_amount,
       coalesce(i.in_special_tax, 0) AS in_special_tax,
       coalesce(i.in_bad_seller_amount, 0) AS in_bad_seller_amount,
       coalesce(i.in_new_seller_amount, 0) AS in_new_seller_amount, coalesce(i.in_sellers, 0) AS in_sellers,
       CASE WHEN v.vat_returns_n IS NULL THEN 0 ELSE 1 END AS vat_filed,
       v.vat_sales, v.vat_exempt_sales, v.vat_output, v.vat_input, v.vat_payable, coalesce(v.vat_late, 0) AS vat_late,
       CASE WHEN iit.tin IS NULL THEN 0 ELSE 1 END AS iit_filed,
       coalesce(iit.iit_employees, 0) AS iit_employees, coalesce(iit.iit_payroll, 0) AS iit_payroll,
       coalesce(iit.iit_tax, 0) AS iit_tax,
       coalesce(si.si_insured, 0) AS si_insured, coalesce(si.si_base, 0) AS si_base,
       coalesce(u.kwh, 0) AS kwh, coalesce(u.water_m3, 0) AS water_m3,
       coalesce(p.pay_due, 0) AS pay_due, coalesce(p.pay_paid, 0) AS pay_paid, coalesce(p.pay_late_n, 0) AS pay_late_n,
       coalesce(p.pay_overdue_amount, 0) AS pay_overdue_amount, p.pay_overdue_days
FROM keys AS k
LEFT JOIN features_tin AS t ON t.tin = k.tin
LEFT JOIN inv_out AS o ON o.tin = k.tin AND o.period = k.period
LEFT JOIN inv_in AS i ON i.tin = k.tin AND i.period = k.period
LEFT JOIN vat AS v ON v.tin = k.tin AND v.period = k.period
LEFT JOIN iit ON iit.tin = k.tin AND iit.period = k.period
LEFT JOIN si ON si.tin = k.tin AND si.period = k.period
LEFT JOIN util AS u ON u.tin = k.tin AND u.period = k.period
LEFT JOIN pay AS p ON p.tin = k.tin AND p.period = k.period
