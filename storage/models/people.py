"""Departments, people, their messenger accounts and invites."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.base import utcnow

ROLES = ("inspector", "head", "admin")
CHANNELS = ("telegram", "zalo", "terminal")


class Department(SQLModel, table=True):
    __tablename__ = "department"

    code: str = Field(primary_key=True, max_length=16)
    name_vi: str = Field(max_length=200)
    name_en: str = Field(max_length=200)


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    department_code: str = Field(foreign_key="department.code", max_length=16, index=True)
    language: str = Field(default="vi", max_length=2)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class ChannelAccount(SQLModel, table=True):
    """A person's identity on one messenger; a person may have several."""

    __tablename__ = "channel_account"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    __tablename__ = "invite"

    code: str = Field(primary_key=True, max_length=32)
    role: str = Field(max_length=16)
    department_code: str = Field(foreign_key="department.code", max_length=16)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by_id: int | None = Field(default=None, foreign_key="person.id")


DEPARTMENTS = [
    ("KTATMT", "Phòng Kỹ thuật an toàn – Môi trường", "Technical Safety and Environment Division"),
    ("QLTM", "Phòng Quản lý thương mại", "Trade Management Division"),
    ("QLCN", "Phòng Quản lý công nghiệp", "Industry Management Division"),
    ("QLNL", "Phòng Quản lý năng lượng", "Energy Management Division"),
    (
        "TTKC",
        "Trung tâm Khuyến công và Xúc tiến thương mại",
        "Industrial and Trade Promotion Centre",
    ),
    ("KHAC", "Các phòng khác thuộc Sở", "Other divisions of the Department"),
]
