-- features_pairs: one row per (seller TIN, buyer TIN) trading pair over the window, grouped straight from the
-- invoices (consumer invoices, without a buyer, left out). Counterparty indicators join it to the seller's
-- features instead of rescanning invoices. n counts every invoice of the pair and first/last_issued_on span them
-- all, void ones included; amount and special_tax sum the non-void ones (exactly, as DECIMAL; 0 when there are
-- none) and are stored as DOUBLE. Grouped on the integer TIN keys (taxloop.analytics.keys); the two TINs are
-- decoded once per pair, after the GROUP BY. Built in parts by range of the seller key; written in seller order.
WITH p AS (
    SELECT i.seller_key, i.buyer_key,
           count(*) AS n,
           CAST(coalesce(sum(CASE WHEN i.status <> 'void' THEN i.amount END), 0) AS DOUBLE) AS amount,
           CAST(coalesce(sum(CASE WHEN i.status <> 'void' AND i.kind = 'special' THEN i.tax_amount END), 0) AS DOUBLE)
               AS special_tax,
           min(i.issued_on) AS first_issued_on,
           max(i.issued_on) AS last_issued_on
    FROM {invoices} AS i
    WHERE i.buyer_key IS NOT NULL AND {bucket(i.seller_key)}
    GROUP BY i.seller_key, i.buyer_key
)
SELECT s.tin AS seller_tin, b.tin AS buyer_tin, p.n, p.amount, p.special_tax, p.first_issued_on, p.last_issued_on
FROM p
JOIN {tin_keys} AS s ON s.tin_key = p.seller_key
JOIN {tin_keys} AS b ON b.tin_key = p.buyer_key
ORDER BY p.seller_key, p.buyer_key
