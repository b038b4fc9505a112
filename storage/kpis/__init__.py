"""The plan's indicators (K1–K7, coverage), computed in SQL.

Rules (domain.md, "Indicators and targets"):

* Only submitted runs count: drafts, cancelled runs and superseded runs (a check
  replaced by an "update that check") never do.
* Only operating sites count, in numerators and denominators alike: planned and
  closed sites are left out everywhere. A site's status is its status today.
* A year is the calendar year in Asia/Ho_Chi_Minh (configurable), converted to UTC
  bounds: [1 Jan Y 00:00 local, 1 Jan Y+1 00:00 local).
* Per-site indicators (K3, K4, K5, coverage) use the latest submitted check of a
  site in the year (by submitted_at, then id).
* K1 and K2 are cumulative: every submitted run from 1 January of the programme's
  start year to the end of the year asked for. K2 counts the latest run per
  (cluster, enterprise); enterprise names are compared trimmed and lower-cased
  (checklist_run.enterprise_key, written at submission and correction:
  storage.kpis.keys.enterprise_key).
* A department filter keeps the runs submitted by that department's people
  (denominators stay all operating sites); a commune or old-district filter keeps
  the sites there. Energy-efficiency and trade-promotion runs (K6, K7) have no
  site, so with a place filter they are not attributable and come back as None.

The modules: ``scope`` (what a query covers, shared conditions), ``keys`` (the
checklist and question ids the indicators read), ``queries`` (one query per group of
figures), ``indicators`` (``compute_kpis``), ``report_status`` (annual-report
confirmations), ``rows`` (checks and sites for the export and the annexes).
Targets and status are judged in handlers/targets.py (pure, no SQL).
"""

from __future__ import annotations

from storage.kpis.indicators import compute_kpis
from storage.kpis.keys import (
    CLEANER_PRODUCTION,
    CLUSTER_AWARENESS,
    CLUSTER_KIND,
    ENERGY_EFFICIENCY,
    RETAIL_KINDS,
    SUPERMARKET,
    TRADE_PROMOTION,
)
from storage.kpis.queries import latest_runs_query
from storage.kpis.report_status import report_statuses
from storage.kpis.results import Kpis, Ratio, ReportStatus, SiteRef
from storage.kpis.rows import (
    AnswerCells,
    ChecklistOutline,
    CheckRow,
    attach_answers,
    export_outline,
    latest_checks,
    sites_with_activity,
    stream_checks,
)
from storage.kpis.scope import LOCAL_TZ, START_YEAR, Scope, as_of_date

__all__ = [
    "CLEANER_PRODUCTION",
    "CLUSTER_AWARENESS",
    "CLUSTER_KIND",
    "ENERGY_EFFICIENCY",
    "LOCAL_TZ",
    "RETAIL_KINDS",
    "START_YEAR",
    "SUPERMARKET",
    "TRADE_PROMOTION",
    "AnswerCells",
    "CheckRow",
    "ChecklistOutline",
    "Kpis",
    "Ratio",
    "ReportStatus",
    "Scope",
    "SiteRef",
    "as_of_date",
    "attach_answers",
    "compute_kpis",
    "export_outline",
    "latest_checks",
    "latest_runs_query",
    "report_statuses",
    "sites_with_activity",
    "stream_checks",
]
