-- Variant of src/taxloop/features/sql/03_features_period.sql tried and dropped (session 2, scan2): slower at 100k,
-- see benchmarks/README.md "Scan". Run with benchmarks/bench_feature_sql.py.
WITH inv_out AS (
    SELECT seller_tin AS tin, month,
           sum(n) AS out_n, sum(void_n) AS out_void_n, sum(red_n) AS out_red_n,
           sum(amount) AS out_amount, sum(tax_amount) AS out_tax,
           sum(special_amount) AS out_special_amount,
           sum(CASE WHEN buyer_tin IS NULL THEN amount ELSE 0 END) AS out_consumer_amount,
           sum(near_quota_n) AS out_near_quota_n, sum(round_n) AS out_round_n, sum(positive_n) AS out_positive_n
    FROM features_invoice_cells
    WHERE {bucket(seller_tin)}
    GROUP BY seller_tin, month
),
inv_in AS (
    SELECT buyer_tin AS tin, month,
           sum(n) AS in_n, sum(amount) AS in_amount, sum(special_tax) AS in_special_tax,
           sum(bad_seller_amount) AS in_bad_seller_amount, sum(new_seller_amount) AS in_new_seller_amount
    FROM features_invoice_cells
    WHERE buyer_tin IS NOT NULL AND {bucket(buyer_tin)}
    GROUP BY buyer_tin, month
),
as_of AS (
    SELECT max(greatest(due_on, coalesce(paid_on, due_on))) AS d FROM {payments}
),
rows_ AS (
    SELECT tin, strftime(month, '%Y-%m') AS period,
           out_n, out_void_n, out_red_n, out_amount, out_tax, out_special_amount, out_consumer_amount,
           out_near_quota_n, out_round_n, out_positive_n,
           NULL AS in_n, NULL AS in_amount, NULL AS in_special_tax, NULL AS in_bad_seller_amount, NULL AS in_new_seller_amount,
           NULL AS vat_row, NULL AS sales, NULL AS exempt_sales, NULL AS output_tax, NULL AS input_tax, NULL AS tax_payable, NULL AS vat_late,
           NULL AS iit_row, NULL AS employees, NULL AS payroll, NULL AS tax_withheld,
           NULL AS insured_employees, NULL AS contribution_base, NULL AS kwh, NULL AS water_m3,
           NULL AS amount_due, NULL AS amount_paid, NULL AS late, NULL AS overdue_amount, NULL AS overdue_days
    FROM inv_out
    UNION ALL BY NAME
    SELECT tin, strftime(month, '%Y-%m') AS period, in_n, in_amount, in_special_tax, in_bad_seller_amount, in_new_seller_amount
    FROM inv_in
    UNION ALL BY NAME
    SELECT tin, period, 1 AS vat_row, sales, coalesce(exempt_sales, 0) AS exempt_sales, output_tax, input_tax, tax_payable,
           CASE WHEN year(filed_on) * 12 + month(filed_on) - 1
                     > CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)
                     OR (year(filed_on) * 12 + month(filed_on) - 1
                         = CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)
                         AND day(filed_on) > 15)
                THEN 1 ELSE 0 END AS vat_late
    FROM {vat_returns}
    WHERE {bucket(tin)}
    UNION ALL BY NAME
    SELECT tin, period, 1 AS iit_row, employees, payroll, tax_withheld FROM {iit_withholding} WHERE {bucket(tin)}
    UNION ALL BY NAME
    SELECT tin, period, insured_employees, contribution_base FROM {social_insurance} WHERE {bucket(tin)}
    UNION ALL BY NAME
    SELECT tin, period, kwh, coalesce(water_m3, 0) AS water_m3 FROM {utilities} WHERE {bucket(tin)}
    UNION ALL BY NAME
    SELECT k.tin, k.period, k.amount_due, k.amount_paid, CASE WHEN k.paid_on > k.due_on THEN 1 ELSE 0 END AS late,
           CASE WHEN k.amount_due > k.amount_paid AND k.due_on < a.d THEN k.amount_due - k.amount_paid ELSE 0 END
             AS overdue_amount,
           CASE WHEN k.amount_due > k.amount_paid AND k.due_on < a.d THEN datediff('day', k.due_on, a.d) END
             AS overdue_days
    FROM {payments} AS k CROSS JOIN as_of AS a
    WHERE {bucket(k.tin)}
),
k AS (
    SELECT tin, period,
           CAST(sum(out_n) AS BIGINT) AS out_n, sum(out_void_n) AS out_void_n, sum(out_red_n) AS out_red_n,
           CAST(sum(out_amount) AS DOUBLE) AS out_amount, CAST(sum(out_tax) AS DOUBLE) AS out_tax,
           CAST(sum(out_special_amount) AS DOUBLE) AS out_special_amount,
           CAST(sum(out_consumer_amount) AS DOUBLE) AS out_consumer_amount,
           sum(out_near_quota_n) AS out_near_quota_n, sum(out_round_n) AS out_round_n, sum(out_positive_n) AS out_positive_n,
           CAST(sum(in_n) AS BIGINT) AS in_n, CAST(sum(in_amount) AS DOUBLE) AS in_amount,
           CAST(sum(in_special_tax) AS DOUBLE) AS in_special_tax,
           CAST(sum(in_bad_seller_amount) AS DOUBLE) AS in_bad_seller_amount,
           CAST(sum(in_new_seller_amount) AS DOUBLE) AS in_new_seller_amount,
           count(vat_row) AS vat_returns_n,
           CAST(sum(sales) AS DOUBLE) AS vat_sales, CAST(sum(exempt_sales) AS DOUBLE) AS vat_exempt_sales,
           CAST(sum(output_tax) AS DOUBLE) AS vat_output, CAST(sum(input_tax) AS DOUBLE) AS vat_input,
           CAST(sum(tax_payable) AS DOUBLE) AS vat_payable, max(vat_late) AS vat_late,
           count(iit_row) AS iit_rows, sum(employees) AS iit_employees,
           CAST(sum(payroll) AS DOUBLE) AS iit_payroll, CAST(sum(tax_withheld) AS DOUBLE) AS iit_tax,
           sum(insured_employees) AS si_insured, CAST(sum(contribution_base) AS DOUBLE) AS si_base,
           CAST(sum(kwh) AS DOUBLE) AS kwh, CAST(sum(water_m3) AS DOUBLE) AS water_m3,
           CAST(sum(amount_due) AS DOUBLE) AS pay_due, CAST(sum(amount_paid) AS DOUBLE) AS pay_paid,
           sum(late) AS pay_late_n, CAST(sum(overdue_amount) AS DOUBLE) AS pay_overdue_amount,
           max(overdue_days) AS pay_overdue_days
    FROM rows_
    GROUP BY tin, period
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
       CASE WHEN k.vat_returns_n = 0 THEN 0 ELSE 1 END AS vat_filed,
       k.vat_sales, k.vat_exempt_sales, k.vat_output, k.vat_input, k.vat_payable, coalesce(k.vat_late, 0) AS vat_late,
       CASE WHEN k.iit_rows = 0 THEN 0 ELSE 1 END AS iit_filed,
       coalesce(k.iit_employees, 0) AS iit_employees, coalesce(k.iit_payroll, 0) AS iit_payroll,
       coalesce(k.iit_tax, 0) AS iit_tax,
       coalesce(k.si_insured, 0) AS si_insured, coalesce(k.si_base, 0) AS si_base,
       coalesce(k.kwh, 0) AS kwh, coalesce(k.water_m3, 0) AS water_m3,
       coalesce(k.pay_due, 0) AS pay_due, coalesce(k.pay_paid, 0) AS pay_paid, coalesce(k.pay_late_n, 0) AS pay_late_n,
       coalesce(k.pay_overdue_amount, 0) AS pay_overdue_amount, k.pay_overdue_days
FROM k
LEFT JOIN features_tin AS t ON t.tin = k.tin
