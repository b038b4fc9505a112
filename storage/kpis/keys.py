"""The checklist ids, question ids and answer codes the indicators key on, in one
table. Renaming any of them in handlers/checklists/*.toml silently zeroes an
indicator, so tests/test_kpi_keys.py checks every entry against the shipped files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.models import ENTERPRISE_KEY_LENGTH

if TYPE_CHECKING:
    from storage.models import Answer, ChecklistRun

# Site kinds (storage.models.Site.kind) the indicators count.
RETAIL_KINDS = ("supermarket", "trade_centre")
CLUSTER_KIND = "industrial_cluster"

# Checklist ids.
SUPERMARKET = "supermarket"
CLUSTER_AWARENESS = "cluster_awareness"
CLEANER_PRODUCTION = "cleaner_production"
ENERGY_EFFICIENCY = "energy_efficiency"
TRADE_PROMOTION = "trade_promotion"

# Question ids, by checklist.
AWARE = "aware"  # K1: the cluster was reached ("yes")
ENTERPRISE = "enterprise"  # K2: one model per (cluster, enterprise)
STAGE = "stage"  # K2: "applied" or "building"
PACKAGING_REPLACED = "packaging_replaced"  # K3: "full"
NONBIO_BAGS = "nonbio_bags"  # K4: "yes"
ECO_LABEL = "eco_label"  # K5: "yes"
ECO_LABEL_COUNT = "eco_label_count"  # K5: product codes
FACILITIES_REACHED = "facilities_reached"  # K6
ECO_PRODUCTS = "eco_products"  # K7
SUPPLIERS = "suppliers"  # K7

# checklist id -> question id -> the answer codes the indicators compare with
# (empty: a number or a free text).
KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    CLUSTER_AWARENESS: {AWARE: ("yes",)},
    CLEANER_PRODUCTION: {ENTERPRISE: (), STAGE: ("applied", "building")},
    SUPERMARKET: {
        PACKAGING_REPLACED: ("full",),
        NONBIO_BAGS: ("yes",),
        ECO_LABEL: ("yes",),
        ECO_LABEL_COUNT: (),
    },
    ENERGY_EFFICIENCY: {FACILITIES_REACHED: ()},
    TRADE_PROMOTION: {ECO_PRODUCTS: (), SUPPLIERS: ()},
}


def enterprise_key(name: str | None) -> str:
    """How K2 tells a cluster's models apart: the enterprise's name trimmed and
    lower-cased (by Python, so "CÔNG TY" and "công ty" are one on every database)."""
    return (name or "").strip().lower()[:ENTERPRISE_KEY_LENGTH]


def note_enterprise(run: ChecklistRun, answers: dict[str, Answer]) -> None:
    """Keeps a cleaner-production check's enterprise_key (what K2 ranks by, migration
    0012) in step with its answers: called when it is submitted and when a
    correction rewrites them."""
    if run.checklist_id == CLEANER_PRODUCTION:
        named = answers.get(ENTERPRISE)
        run.enterprise_key = enterprise_key(named.value_text if named else None)
