"""Admin services: feed management, health, usage statistics, broadcast, OPML, audit."""
