"""Analytics backends: one small interface, DuckDB by default, Spark at scale."""
