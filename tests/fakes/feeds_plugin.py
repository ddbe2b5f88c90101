"""pytest fixtures for the local feed server (see tests/fakes/feed_server.py for its API).

- `feed_server`: a started FeedServer on 127.0.0.1 with the ANT fixture stories in
  `feed_server.stories`; stopped after the test.
- `ant_stories`: the fixture stories (tests/fixtures/feeds/ant_sample.jsonl) as a list of Story.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.feed_server import FeedServer, Story, load_stories


@pytest.fixture(scope="session")
def ant_stories() -> list[Story]:
    return load_stories()


@pytest.fixture
async def feed_server(ant_stories: list[Story]) -> AsyncIterator[FeedServer]:
    server = FeedServer(stories=ant_stories, slow_seconds=30.0, huge_bytes=3 * 1024 * 1024)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
