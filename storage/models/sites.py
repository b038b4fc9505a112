"""The sites inspected, and the sites inspectors propose."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models.base import utcnow

SITE_KINDS = ("supermarket", "trade_centre", "industrial_cluster")
SITE_STATUSES = ("operating", "planned", "closed")


class Site(SQLModel, table=True):
    __tablename__ = "site"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    # Lower-case name without accents, so "co op quang ngai" finds "Co.opmart Quảng Ngãi".
    search_name: str = Field(max_length=300)
    kind: str = Field(max_length=32, index=True)
    commune: str = Field(default="", max_length=200)
    old_district: str = Field(default="", max_length=200)
    province: str = Field(default="", max_length=200)
    status: str = Field(default="operating", max_length=16)
    note: str = Field(default="", max_length=500)
    latitude: float | None = None
    longitude: float | None = None


class ProposedSite(SQLModel, table=True):
    """A site an inspector could not find ("Không tìm thấy? Báo cơ sở mới"), waiting
    for an admin to add it to the site list (or to turn it down)."""

    __tablename__ = "proposed_site"

    id: int | None = Field(default=None, primary_key=True)
    # What the inspector typed: a name and usually an address.
    text: str = Field(max_length=500)
    checklist_id: str = Field(max_length=64)
    person_id: int = Field(foreign_key="person.id")
    status: str = Field(default="proposed", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
