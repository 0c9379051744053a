"""Data-quality checks: one module per check, all returning the findings frame (`findings`)."""
