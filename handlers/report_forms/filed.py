"""A department report as the compiled report reads it: plain values, no SQL.

The class lives in storage/filed_reports.py (storage builds it and must not import
handlers); this name stays for the report forms and the reports."""

from storage.filed_reports import FiledReport

__all__ = ["FiledReport"]
