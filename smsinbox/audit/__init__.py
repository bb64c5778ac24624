"""The audit log: who changed what, when, from where (``AuditEntry``), append-only."""
