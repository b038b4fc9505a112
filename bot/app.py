"""Wiring: configuration -> database, checklists and the engine."""

from __future__ import annotations

from bot.config import Config
from handlers.checklist import ChecklistRegistry
from handlers.engine import Engine, EngineSettings
from handlers.privacy import PrivacySettings
from handlers.targets import Targets
from storage.db import Database


def engine_settings(config: Config) -> EngineSettings:
    return EngineSettings(
        timezone=config.timezone,
        media_dir=config.media_dir,
        default_language=config.language,
        invite_valid_days=config.get("bot", "invite_valid_days"),
        duplicate_period=config.get("bot", "duplicate_check_period"),
        targets=Targets.from_config(config.values["targets"]),
        privacy=PrivacySettings.from_config(config.values["privacy"]),
        web_base_url=config.web_base_url if config.get("web", "enabled") else "",
        review_rule=config.get("review", "indicators"),
        max_photo_bytes=config.get("bot", "max_photo_mb") * 1024 * 1024,
    )


def build_engine(config: Config, database: Database | None = None) -> Engine:
    """Checklists are loaded (and validated) here, so a broken file stops start-up."""
    database = database or Database(config.database_url)
    return Engine(database, ChecklistRegistry.load(), engine_settings(config))
