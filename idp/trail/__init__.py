"""The audit log read as CloudTrail: LookupEvents, export for archiving, and retention."""
from __future__ import annotations

from idp.trail.export import export_records
from idp.trail.lookup import LookupPage, LookupQuery, lookup_events
from idp.trail.retention import purge_beyond_retention, retention_cutoff

__all__ = ["LookupPage", "LookupQuery", "export_records", "lookup_events", "purge_beyond_retention",
           "retention_cutoff"]
