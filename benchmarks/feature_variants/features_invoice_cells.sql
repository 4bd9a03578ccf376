-- The invoice cells table of the feature layer until session 12 (src/taxloop/features/sql/02_features_invoice_cells.sql
-- then), dropped when each reader came to group the invoices itself (docs/scan.md, "Session 12"). Kept here, as it
-- was, for benchmarks/bench_invoice_grains.py, which times the readers' grains through it against straight.
-- features_invoice_cells: the only pass over invoices. One row per seller TIN, buyer TIN (NULL for consumers),
-- month and 3-character goods-code prefix, with every invoice sum the later tables need (seller side and buyer
-- side by month, trading pairs, goods mix), so none of them rescans invoices. Money is summed as DECIMAL
-- (exact, so the same on every engine whatever the summation order); the seller's registration is joined once
-- for the buyer-side "abnormal / deregistered / new seller" amounts. Grouped on the integer TIN keys
-- (taxloop.analytics.keys) and the month index pidx (year * 12 + month - 1; an integer groups faster than a date).
-- The cells carry the keys only, not the TINs: this table is read only by the feature tables built with it (the
-- same build, so the same dictionary `{tin_keys}`), which decode the keys they need after their own GROUP BY.
-- Carrying min(seller_tin) and min(buyer_tin) cost about a third of this table's time.
-- CTE `x` is one invoice in the cells' own columns (a cell of one invoice): a pruned scan that needs no cells
-- table reads `x` in place of `features_invoice_cells` (taxloop.features.plan), so keep the two in step.
-- Written in seller order: the seller-side sums of features_period and the goods mix of features_entity group
-- rows that lie together, and the part is about a third smaller (1M city: the feature layer 136 -> 127 s).
-- The 0/1 flags are counted (count(*) FILTER), not summed: a sum of INTEGER keeps a HUGEINT state per group, and
-- with nearly one cell per invoice the aggregate's states are most of its work (1M city: 6-18 % less CPU a part).
WITH x AS (
    SELECT i.seller_key, i.buyer_key,
           CAST(year(i.issued_on) * 12 + month(i.issued_on) - 1 AS INTEGER) AS pidx,
           substr(i.goods_code, 1, 3) AS goods_prefix,
           1 AS n,
           CASE WHEN i.status = 'void' THEN 1 ELSE 0 END AS void_n,
           CASE WHEN i.status = 'red' OR i.amount < 0 THEN 1 ELSE 0 END AS red_n,
           CASE WHEN i.status <> 'void' AND i.amount > 0 THEN 1 ELSE 0 END AS positive_n,
           CASE WHEN i.status <> 'void' AND i.amount >= 1000
                     AND i.amount >= 0.9 * power(10, ceil(log10(CAST(i.amount AS DOUBLE)))) THEN 1 ELSE 0 END
               AS near_quota_n,
           CASE WHEN i.status <> 'void' AND i.amount >= 1000 AND i.amount % 1000 = 0 THEN 1 ELSE 0 END AS round_n,
           CASE WHEN i.status <> 'void' THEN i.amount END AS amount,
           CASE WHEN i.status <> 'void' THEN i.tax_amount END AS tax_amount,
           CASE WHEN i.status <> 'void' AND i.kind = 'special' THEN i.amount END AS special_amount,
           CASE WHEN i.status <> 'void' AND i.kind = 'special' THEN i.tax_amount END AS special_tax,
           CASE WHEN i.status <> 'void' AND (s.status = 'abnormal' OR s.deregistered_on <= i.issued_on)
                THEN i.amount END AS bad_seller_amount,
           CASE WHEN i.status <> 'void' AND datediff('day', s.registered_on, i.issued_on) < 180
                THEN i.amount END AS new_seller_amount,
           i.issued_on AS first_issued_on,
           i.issued_on AS last_issued_on
    FROM {invoices} AS i
    LEFT JOIN features_tin AS s ON s.tin_key = i.seller_key
    WHERE {bucket(i.seller_key)}
)
SELECT seller_key, buyer_key,
       make_date(pidx // 12, pidx % 12 + 1, 1) AS month, pidx, goods_prefix,
       count(*) AS n,
       count(*) FILTER (WHERE void_n = 1) AS void_n,
       count(*) FILTER (WHERE red_n = 1) AS red_n,
       count(*) FILTER (WHERE positive_n = 1) AS positive_n,
       count(*) FILTER (WHERE near_quota_n = 1) AS near_quota_n,
       count(*) FILTER (WHERE round_n = 1) AS round_n,
       coalesce(sum(amount), 0) AS amount,
       coalesce(sum(tax_amount), 0) AS tax_amount,
       coalesce(sum(special_amount), 0) AS special_amount,
       coalesce(sum(special_tax), 0) AS special_tax,
       coalesce(sum(bad_seller_amount), 0) AS bad_seller_amount,
       coalesce(sum(new_seller_amount), 0) AS new_seller_amount,
       min(first_issued_on) AS first_issued_on,
       max(last_issued_on) AS last_issued_on
FROM x
GROUP BY seller_key, buyer_key, pidx, goods_prefix
ORDER BY seller_key, pidx
