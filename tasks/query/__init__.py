"""SQL over the lake.

- ``sql``: DataFusion (default), Polars or DuckDB over the Delta tables, with time travel
- ``render``: a result as a text table, CSV, JSON or Parquet
"""
