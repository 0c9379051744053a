"""The SQLite state database: decisions, plan journal — what gomoq must remember across runs."""
