"""The whole application on PostgreSQL: the end-to-end suites (real Application, fake Telegram API,
local feed server) run unchanged on a fresh PostgreSQL schema per test (see tests/postgres.py).
Without a server (AKHBAR_TEST_POSTGRES_URL, set by scripts/test.sh) everything here skips."""

from __future__ import annotations

import pytest

from bot.db.database import Database
from tests import (
    test_admin_chat,
    test_admin_flow,
    test_delivery_e2e,
    test_feed_scheduler,
    test_search_telegram,
    test_subscriber,
)
from tests.postgres import adopt
from tests.test_search import load_stories


@pytest.fixture
async def stored(db: Database) -> None:
    """The search fixture stories, in the database the bot opens (the SQLite `stored` fixture
    writes the SQLite file make_config names)."""
    await load_stories(db)


adopt(
    globals(),
    [
        test_delivery_e2e,
        test_admin_flow,
        test_feed_scheduler,
        test_search_telegram,
        test_subscriber,
        test_admin_chat,
    ],
    fixtures=[(test_subscriber, "bot"), (test_feed_scheduler, "delivery")],
    exclude={
        # It loads its stories into an SQLite file of its own before starting the bot.
        "test_inline_pages_of_fifty": "opens SQLite itself",
    },
    # The admin chat's refusals and argument checks touch the database no differently on
    # PostgreSQL; these are the commands whose queries differ (counts, groupings, imports).
    only={
        test_admin_chat: {
            "test_admin_adds_a_feed_from_its_url_with_interval_and_name",
            "test_pause_resume_and_remove_a_config_feed_from_the_chat",
            "test_a_paused_config_feed_stays_paused_after_a_restart",
            "test_feeds_is_paginated_with_buttons",
            "test_feed_shows_details_and_the_last_error",
            "test_stats_sends_a_png_chart_with_the_figures",
            "test_broadcast_asks_for_confirmation_then_queues_one_message_per_active_subscriber",
            "test_opml_import_from_a_document_and_export_round_trip",
            "test_audit_lists_who_did_what_and_when",
        }
    },
)
