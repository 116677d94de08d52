"""Storage: engines and transactions, tables, portable geometry, migrations, the audit log."""
