"""Watch records: writing them (``writes``), field rules, urgency and per-record history;
a 福祉連絡会's proposals, confirmed reviews, register and 緊急連絡表 lines (``meeting_work``).

The write API is re-exported here, so callers say ``records.update(...)``.
"""

from lsmap.records.writes import (
    RecordError,
    StaleRecord,
    ValidationFailed,
    add_emergency_contact,
    add_resident,
    close_household,
    create,
    create_household,
    create_watcher,
    delete,
    link_watcher,
    record_contact,
    reopen_household,
    restore,
    update,
)

__all__ = [
    "RecordError",
    "StaleRecord",
    "ValidationFailed",
    "add_emergency_contact",
    "add_resident",
    "close_household",
    "create",
    "create_household",
    "create_watcher",
    "delete",
    "link_watcher",
    "record_contact",
    "reopen_household",
    "restore",
    "update",
]
