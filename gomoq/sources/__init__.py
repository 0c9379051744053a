"""Source files for `gomoq import` and `gomoq reconcile`: reading, mapping, typing, preflight.

Layered below `gomoq.services` (no Textual, no httpx, no printing). The pieces, in the order a
file goes through them:

- `reading`: CSV (delimiter and encoding sniffed), XLSX (`excel`), Parquet, JSON Lines, into a
  frame of text columns plus the source row number;
- `mapping`: which column becomes which contact field (`--map`, a TOML file, or a guess from
  the headers);
- `values`: text to the type an attribute's definition asks for (numbers, dates, booleans),
  with a reason for every value that cannot be typed;
- `preflight`: phones to E.164, the API's field rules, rejects with their reasons, in-file
  duplicates;
- `matching`: rows against the cache by normalised phone (or by a source key attribute).
"""
