-- features_pairs: one row per (seller TIN, buyer TIN) trading pair over the window, rolled up from
-- features_invoice_cells. Counterparty indicators join it to the seller's features instead of rescanning invoices.
-- Grouped on the integer TIN keys (a key is one TIN, so min() of the TIN is that TIN; taxloop.analytics.keys).
SELECT min(seller_tin) AS seller_tin, min(buyer_tin) AS buyer_tin,
       CAST(sum(n) AS BIGINT) AS n,
       CAST(sum(amount) AS DOUBLE) AS amount,
       CAST(sum(special_tax) AS DOUBLE) AS special_tax,
       min(first_issued_on) AS first_issued_on,
       max(last_issued_on) AS last_issued_on
FROM features_invoice_cells
WHERE buyer_key IS NOT NULL AND {bucket(seller_key)}
GROUP BY seller_key, buyer_key
