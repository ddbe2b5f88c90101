"""Logging that never prints the bot token."""

from __future__ import annotations

import logging
import re

# Telegram tokens are "<digits>:<35 url-safe characters>"; they appear inside request URLs.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record: the message and any traceback, whose exception texts
    quote the token too (python-telegram-bot's InvalidToken: "The token `…` was rejected")."""

    def format(self, record: logging.LogRecord) -> str:
        return _TOKEN.sub("<token>", super().format(record))


class ExpectedErrors(logging.Filter):
    """python-telegram-bot logs, with a traceback, what the bot then reports in one line of its
    own: a token rejected while polling (bot.delivery.service stops the bot and says so: the line
    stays, the traceback goes), and a start-up request that failed on the network (its "Bootstrap"
    retry loop; `akhbar run` says so and tries again: the record goes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (record.exc_info and record.name.startswith("telegram")):
            return True
        from telegram.error import NetworkError

        message = record.getMessage()
        if isinstance(record.exc_info[1], NetworkError) and "(Bootstrap" in message:
            return False
        if "Invalid token" in message:
            record.exc_info = None
            record.exc_text = None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ExpectedErrors())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram's URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
