"""The Textual workbench. Textual is imported only under this package (DESIGN.md).

`gomoq.tui.data` and `gomoq.tui.bridge` are Textual-free (pure polars and service calls) so that
tests and `bench/tui.py` can use them without an app.
"""
