"""Arabic keyword search over stored stories.

- `analyzer`: `index_terms(text)`, `query_terms(query)`, `query_groups(query)`, `parse_query(query)`
  (with the words excluded by "-word" and the alternatives of OR), `keyword_groups(keyword)` and
  `matches(terms, keyword)` (a followed keyword: every word, no operator) — the one analysis
  (normalisation, clitics, light stemming, name spellings, English names) used to index, to query
  and by delivery for /follow keywords and topics. Its docstring lists what matches and what does
  not. Its word lists are data files here: whole_words.txt and short_words.txt (derived from ANT by
  scripts/derive_search_words.py), places.txt, variants.txt, english.txt, ta_marbuta.txt (written
  by hand).
- `index`: `index_story(session, story)` (the feed poller calls it in the session that stores the
  story), `index_stories(db, ids)`, `index_missing(db)`, `reindex_all(db)`.
- `service`: `await search(db, query, limit=, offset=, source=, since=, feed_ids=) -> SearchPage`,
  `await recent(db, ...)`, `await has_stories(db)`.
- `render`: results as Telegram HTML (Arabic by default, English on request), used by
  handlers.search (/search with page buttons) and handlers.inline (inline mode).
"""
