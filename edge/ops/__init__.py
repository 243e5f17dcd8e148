"""Running the edge in production: TLS for phone cameras, backups, metrics and logs.

Imports nothing from Flask at package level; edge/api/ops.py is the HTTP side
and edge/ops/cli.py the `floorscan tls / backup / restore` commands
(docs/operations.md)."""
