"""A local, Gomobile-compatible server for demos, tests and benchmarks (see README.md here for
every behaviour it chose where the docs are silent). The optional extra `gomoq[sandbox]`."""
