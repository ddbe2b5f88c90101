"""Fakes of the outside world (Telegram Bot API, feed servers) that tests and benchmarks run on loopback."""
