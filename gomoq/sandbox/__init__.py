"""A local, Gomobile-compatible server for demos, tests and benchmarks (see the README's
"The sandbox" section for every behaviour it chose where the docs are silent)."""
