"""Feed polling: every new story stored, summarised and handed to delivery exactly once.

- fetcher.py   HTTP (httpx): timeouts, size limit, gzip, redirects checked hop by hop, per-host and
               global concurrency, conditional GET, the private-address guard. `Fetcher`, `FetchError`.
- parser.py    feedparser from bytes (encodings, RSS 0.9x/1.0/2.0, Atom, bozo feeds), HTML pages
               refused, `discover_feed_links`. `parse_feed`, `FeedParseError`.
- identity.py  entry keys (guid, else link without tracking parameters, else a title+date hash).
- dedup.py     the same story from two feeds: same link and similar words, or SimHash candidates
               confirmed by word overlap.
- content.py   entry -> clean text, summary (summarizer) and fingerprint.
- cpu.py       where that CPU work runs: a worker thread, or fetch.parse_processes worker processes.
- fulltext.py  article pages for short leads (feeds with full_text = true), cached in ArticleCache.
- poller.py    one poll of one feed: `poll_feed(db, config, fetcher, feed_id) -> PollResult`.
- health.py    next poll time, backoff, auto-pause with an admin alert,
               `feed_move`/`move_texts` (a feed that moved, for /feed).
- scheduler.py the JobQueue tick that polls due feeds and routes new stories: `start`, `stop`,
               `reschedule`.
- batch.py     group commit for the many small reads and writes of a polling cycle.
- models.py    the poller's own tables (migrations feeds_0001-0003): poll state (with a move being
               counted), the routing queue, entry digests (corrections), URL aliases (moves).
"""
