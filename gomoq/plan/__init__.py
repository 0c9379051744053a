"""Plans, the apply journal, the apply engine and undo (DESIGN.md "Plans, apply, journal, undo").

- `model`: the plan file and its actions; `fingerprint`: what "the version reviewed" means;
- `merge`: which value a merged contact keeps; `steps`: the requests an action needs, in order;
- `journal`: the SQLite record of every run; `engine`: apply and resume; `undo`: reverse a run;
- `auto`: headless plan rules; `diff`: the field-by-field view of a plan.
"""
