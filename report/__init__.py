"""The manager's reports (``onestop-report``): a period's figures from the hub's database.

``reader`` (read-only SQL, one snapshot), ``figures`` and ``survey`` (pure: records in, tables
out), ``csvfiles``, ``charts`` (matplotlib), ``html`` (one self-contained page per language),
``texts`` (Portuguese and English), ``main`` (the command), ``demo`` (a simulated busy day).
"""
