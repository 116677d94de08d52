"""Watch records: writing records, validation, urgency, per-record history."""
