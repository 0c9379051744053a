"""Part of the gomoq workbench."""
