"""What every handler and job needs: the config and the database, kept in bot_data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.db.database import Database

KEY = "services"


@dataclass(frozen=True)
class Services:
    config: Config
    db: Database

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.config.telegram.admins


def services(context_or_app: Any) -> Services:
    """From a CallbackContext or an Application."""
    value: Services = context_or_app.bot_data[KEY]
    return value
