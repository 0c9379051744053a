"""The local Parquet snapshot of one organisation (see `schema` for the tables)."""
