-- features_invoice_cells: the only pass over invoices. One row per seller TIN, buyer TIN (NULL for consumers),
-- month and 3-character goods-code prefix, with every invoice sum the later tables need (seller side and buyer
-- side by month, trading pairs, goods mix), so none of them rescans invoices. Money is summed as DECIMAL
-- (exact, so the same on every engine whatever the summation order); the seller's registration is joined once
-- for the buyer-side "abnormal / deregistered / new seller" amounts.
WITH x AS (
    SELECT i.seller_tin, i.buyer_tin, i.issued_on,
           CAST(date_trunc('month', i.issued_on) AS DATE) AS month,
           substr(i.goods_code, 1, 3) AS goods_prefix,
           i.status = 'void' AS is_void,
           i.status = 'red' OR i.amount < 0 AS is_red,
           i.kind = 'special' AS is_special,
           CASE WHEN i.status <> 'void' THEN i.amount END AS amount,
           CASE WHEN i.status <> 'void' THEN i.tax_amount END AS tax_amount,
           s.status = 'abnormal' OR s.deregistered_on <= i.issued_on AS bad_seller,
           datediff('day', s.registered_on, i.issued_on) < 180 AS new_seller
    FROM {invoices} AS i
    LEFT JOIN features_tin AS s ON s.tin = i.seller_tin
    WHERE {bucket(i.seller_tin)}
)
SELECT seller_tin, buyer_tin, month, goods_prefix,
       count(*) AS n,
       count(*) FILTER (WHERE is_void) AS void_n,
       count(*) FILTER (WHERE is_red) AS red_n,
       count(amount) FILTER (WHERE amount > 0) AS positive_n,
       count(amount) FILTER (WHERE amount >= 1000
                             AND amount >= 0.9 * power(10, ceil(log10(CAST(amount AS DOUBLE))))) AS near_quota_n,
       count(amount) FILTER (WHERE amount >= 1000 AND amount % 1000 = 0) AS round_n,
       coalesce(sum(amount), 0) AS amount,
       coalesce(sum(tax_amount), 0) AS tax_amount,
       coalesce(sum(amount) FILTER (WHERE is_special), 0) AS special_amount,
       coalesce(sum(tax_amount) FILTER (WHERE is_special), 0) AS special_tax,
       coalesce(sum(amount) FILTER (WHERE bad_seller), 0) AS bad_seller_amount,
       coalesce(sum(amount) FILTER (WHERE new_seller), 0) AS new_seller_amount,
       min(issued_on) AS first_issued_on,
       max(issued_on) AS last_issued_on
FROM x
GROUP BY seller_tin, buyer_tin, month, goods_prefix
