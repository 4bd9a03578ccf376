-- features_pairs: one row per (seller TIN, buyer TIN) trading pair over the window (invoices read once more).
-- Counterparty indicators join it to the seller's features instead of rescanning invoices.
SELECT seller_tin, buyer_tin,
       count(*) AS n,
       sum(CASE WHEN status <> 'void' THEN CAST(amount AS DOUBLE) ELSE 0 END) AS amount,
       sum(CASE WHEN status <> 'void' AND kind = 'special' THEN CAST(tax_amount AS DOUBLE) ELSE 0 END) AS special_tax,
       min(issued_on) AS first_issued_on,
       max(issued_on) AS last_issued_on
FROM {invoices}
WHERE buyer_tin IS NOT NULL
GROUP BY seller_tin, buyer_tin
