"""Feed polling: fetcher (HTTP), parser (feedparser), identity and dedup, storing, scheduling."""
