"""Plans, the apply journal, the apply engine and undo (DESIGN.md "Plans, apply, journal, undo").

- `model`: the plan file and its actions; `fingerprint`: what "the version reviewed" means;
- `merge`: which value a merged contact keeps; `steps`: the requests an action needs, in order;
- `journal`: the SQLite record of every run; `engine`: apply and resume, one unit at a time;
- `bulk`: flags and fixes through batched upserts; `undo`: reverse a run from its journal;
- `cachepatch`: before-images from the cache, and the cache patched after a run;
- `auto`: plans from decisions and from rules; `diff`: the field-by-field view of a plan.

Callers use `gomoq.services.plan`, not these modules directly.
"""
