"""The lake: Delta tables of the face data.

- ``schema``: every table's explicit Arrow schema, partitions and keys
- ``store``: where the lake is (a path or an object store) and its tables
- ``commit``: every table write, one commit retried on conflict; columns added since are migrated
- ``batch``: ``VideoBatch``, one video's rows for every table
- ``normalize``: a result and its JSON into a batch
- ``publish``: a batch into the tables, one commit per table, crash-safe and idempotent
- ``published``: which videos the lake holds
- ``runs``: the ``runs`` table's row per run, and its heartbeat
- ``sources``: every file a video arrived as (``video_sources``)
- ``redactions``: the ``redactions`` table's row per redacted copy
- ``maintenance``: optimize, vacuum, checkpoint, history
- ``check``: what ``lake check`` finds after a crash (damaged logs, leftovers, dead runs)
- ``migrate``: an older lake's columns brought to the current names
"""
