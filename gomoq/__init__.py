"""gomoq: a terminal data-quality workbench for Gomobile contacts."""

__version__ = "0.1.0"
