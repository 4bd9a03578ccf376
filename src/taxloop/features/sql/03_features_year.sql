-- features_year: one row per TIN and calendar year: the monthly features rolled up, the CIT return,
-- customs exports/imports and land-use / property declarations of the year. Money is summed as DECIMAL (the
-- monthly DOUBLE values are whole cents, cast back exactly) so the totals are the same on every engine.
-- Written in TIN and year order (as features_period).
WITH py AS (
    SELECT tin, year, min(entity_id) AS entity_id,
           count(*) AS months_n,
           sum(vat_filed) AS vat_months_filed,
           CAST(sum(CAST(coalesce(vat_sales, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_sales,
           CAST(sum(CAST(coalesce(vat_exempt_sales, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_exempt_sales,
           CAST(sum(CAST(coalesce(vat_output, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_output,
           CAST(sum(CAST(coalesce(vat_input, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_input,
           CAST(sum(CAST(coalesce(vat_payable, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS vat_payable,
           CAST(sum(CAST(out_amount AS DECIMAL(38, 2))) AS DOUBLE) AS out_amount,
           CAST(sum(CAST(out_tax AS DECIMAL(38, 2))) AS DOUBLE) AS out_tax,
           CAST(sum(CAST(in_amount AS DECIMAL(38, 2))) AS DOUBLE) AS in_amount,
           CAST(sum(CAST(in_special_tax AS DECIMAL(38, 2))) AS DOUBLE) AS in_special_tax,
           CAST(sum(CAST(kwh AS DECIMAL(38, 2))) AS DOUBLE) AS kwh,
           CAST(sum(CAST(iit_payroll AS DECIMAL(38, 2))) AS DOUBLE) AS iit_payroll,
           CAST(sum(CAST(iit_tax AS DECIMAL(38, 2))) AS DOUBLE) AS iit_tax,
           avg(iit_employees) AS iit_employees_avg, avg(si_insured) AS si_insured_avg,
           sum(CASE WHEN out_n > 0 OR in_n > 0 THEN 1 ELSE 0 END) AS invoice_months
    FROM features_period
    GROUP BY tin, year
),
cit AS (
    SELECT tin, year, count(*) AS cit_filed,
           CAST(sum(revenue) AS DOUBLE) AS cit_revenue, CAST(sum(cost) AS DOUBLE) AS cit_cost,
           CAST(sum(expenses) AS DOUBLE) AS cit_expenses, CAST(sum(profit) AS DOUBLE) AS cit_profit,
           CAST(sum(taxable_income) AS DOUBLE) AS cit_taxable_income, CAST(sum(tax_payable) AS DOUBLE) AS cit_tax,
           CAST(sum(coalesce(rnd_deduction, 0)) AS DOUBLE) AS cit_rnd,
           CAST(sum(coalesce(inventory_end, 0)) AS DOUBLE) AS cit_inventory_end
    FROM {cit_returns}
    GROUP BY tin, year
),
cus AS (
    SELECT tin, year(declared_on) AS year,
           CAST(sum(CASE WHEN direction = 'export' THEN value ELSE 0 END) AS DOUBLE) AS customs_export,
           CAST(sum(CASE WHEN direction = 'import' THEN value ELSE 0 END) AS DOUBLE) AS customs_import
    FROM {customs_declarations}
    GROUP BY tin, year(declared_on)
),
oth AS (
    SELECT tin, year(period_start) AS year,
           sum(CASE WHEN tax_type = 'land_use' THEN 1 ELSE 0 END) AS land_use_returns,
           CAST(sum(CASE WHEN tax_type = 'land_use' THEN base ELSE 0 END) AS DOUBLE) AS land_use_base,
           sum(CASE WHEN tax_type = 'property' THEN 1 ELSE 0 END) AS property_returns,
           sum(CASE WHEN tax_type = 'deed' THEN 1 ELSE 0 END) AS deed_returns,
           CAST(sum(CASE WHEN tax_type = 'deed' THEN base ELSE 0 END) AS DOUBLE) AS deed_base
    FROM {other_returns}
    GROUP BY tin, year(period_start)
),
keys AS (
    SELECT tin, year FROM py
    UNION SELECT tin, year FROM cit
    UNION SELECT tin, year FROM cus
    UNION SELECT tin, year FROM oth
)
SELECT k.tin, k.year, coalesce(t.entity_id, py.entity_id, k.tin) AS entity_id, t.industry_code, t.region_code,
       coalesce(py.months_n, 0) AS months_n, coalesce(py.vat_months_filed, 0) AS vat_months_filed,
       coalesce(py.vat_sales, 0) AS vat_sales, coalesce(py.vat_exempt_sales, 0) AS vat_exempt_sales,
       coalesce(py.vat_output, 0) AS vat_output, coalesce(py.vat_input, 0) AS vat_input,
       coalesce(py.vat_payable, 0) AS vat_payable, coalesce(py.out_amount, 0) AS out_amount,
       coalesce(py.out_tax, 0) AS out_tax, coalesce(py.in_amount, 0) AS in_amount,
       coalesce(py.in_special_tax, 0) AS in_special_tax, coalesce(py.kwh, 0) AS kwh,
       coalesce(py.iit_payroll, 0) AS iit_payroll, coalesce(py.iit_tax, 0) AS iit_tax,
       coalesce(py.iit_employees_avg, 0) AS iit_employees_avg, coalesce(py.si_insured_avg, 0) AS si_insured_avg,
       coalesce(py.invoice_months, 0) AS invoice_months,
       coalesce(c.cit_filed, 0) AS cit_filed, c.cit_revenue, c.cit_cost, c.cit_expenses, c.cit_profit,
       c.cit_taxable_income, c.cit_tax, c.cit_rnd, c.cit_inventory_end,
       coalesce(cus.customs_export, 0) AS customs_export, coalesce(cus.customs_import, 0) AS customs_import,
       coalesce(o.land_use_returns, 0) AS land_use_returns, coalesce(o.land_use_base, 0) AS land_use_base,
       coalesce(o.property_returns, 0) AS property_returns, coalesce(o.deed_returns, 0) AS deed_returns,
       coalesce(o.deed_base, 0) AS deed_base
FROM keys AS k
LEFT JOIN features_tin AS t ON t.tin = k.tin
LEFT JOIN py ON py.tin = k.tin AND py.year = k.year
LEFT JOIN cit AS c ON c.tin = k.tin AND c.year = k.year
LEFT JOIN cus ON cus.tin = k.tin AND cus.year = k.year
LEFT JOIN oth AS o ON o.tin = k.tin AND o.year = k.year
ORDER BY k.tin, k.year
