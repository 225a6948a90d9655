"""The validation gate: Great Expectations over every batch before it is published.

- ``suites``: the GX runtime, one per process, with the suites of ``expectations/``
- ``audit_views``: the derived columns the suites compare against
- ``check``: ``validate_batch``, the verdict of the contract and the table suites
- ``results_table``: every result as rows of the ``validations`` table
- ``quarantine``: where a refused batch goes instead of the published tables
- ``gate``: validate, record, quarantine or publish; replay a quarantined batch
- ``revalidate``: the gate again over published data, and the data docs
"""
