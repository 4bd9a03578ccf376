-- features_pairs: one row per (seller TIN, buyer TIN) trading pair over the window, rolled up from
-- features_invoice_cells. Counterparty indicators join it to the seller's features instead of rescanning invoices.
-- Grouped on the integer TIN keys (taxloop.analytics.keys); the two TINs are decoded once per pair, after the GROUP BY.
-- Written in seller order (as features_invoice_cells).
WITH p AS (
    SELECT seller_key, buyer_key,
           CAST(sum(n) AS BIGINT) AS n,
           CAST(sum(amount) AS DOUBLE) AS amount,
           CAST(sum(special_tax) AS DOUBLE) AS special_tax,
           min(first_issued_on) AS first_issued_on,
           max(last_issued_on) AS last_issued_on
    FROM features_invoice_cells
    WHERE buyer_key IS NOT NULL AND {bucket(seller_key)}
    GROUP BY seller_key, buyer_key
)
SELECT s.tin AS seller_tin, b.tin AS buyer_tin, p.n, p.amount, p.special_tax, p.first_issued_on, p.last_issued_on
FROM p
JOIN {tin_keys} AS s ON s.tin_key = p.seller_key
JOIN {tin_keys} AS b ON b.tin_key = p.buyer_key
ORDER BY p.seller_key, p.buyer_key
