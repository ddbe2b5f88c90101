"""The audit log of admin actions: who did what, and when.

`record` takes the caller's session so the entry commits in the same transaction as the action it
describes: an action that rolled back leaves no entry, and an entry never lacks its action.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.db.database import Database
from bot.db.models import AuditLog

# Actions taken from the shell have no Telegram user: they are recorded under this id.
CLI_ACTOR = 0
MAX_DETAIL = 2000


def cli_actor_label() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers; the audit entry must still be written
        return "unknown"


def record(session: AsyncSession, admin_id: int, action: str, **details: Any) -> None:
    """`details` are stored as JSON, not as a sentence, so /audit can show them in either language."""
    clean = {k: _short(v) for k, v in details.items() if v not in (None, "")}
    session.add(AuditLog(admin_id=admin_id, action=action, detail=json.dumps(clean, ensure_ascii=False)))


async def record_now(db: Database, admin_id: int, action: str, **details: Any) -> None:
    """For actions that have no write of their own (e.g. /export)."""
    async with db.write() as session:
        record(session, admin_id, action, **details)


def _short(value: Any) -> Any:
    return value[:MAX_DETAIL] if isinstance(value, str) else value


def parse_detail(detail: str) -> dict[str, Any]:
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        return {"text": detail}
    return data if isinstance(data, dict) else {"text": detail}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    admin_id: int
    action: str
    detail: str
    created_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


async def list_entries(db: Database, *, page: int = 0, per_page: int = 10) -> AuditPage:
    """Newest first."""
    async with db.read() as session:
        total = int(await session.scalar(select(func.count()).select_from(AuditLog)) or 0)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        rows = (
            await session.scalars(
                select(AuditLog)
                .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
                .offset(page * per_page)
                .limit(per_page)
            )
        ).all()
    entries = [
        AuditEntry(r.id, r.admin_id, r.action, r.detail, as_utc(r.created_at), parse_detail(r.detail))
        for r in rows
    ]
    return AuditPage(entries=entries, total=total, page=page, pages=pages)
