"""`akhbar`: the command line. Each subcommand lives in bot/commands/<name>_cmd.py.

A command module has `add_arguments(parser)` and `run(args[, config]) -> int`; the commands that
need config.toml get it loaded and validated here, so a bad config stops every one of them the same
way: one clear message and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from bot.config import Config, ConfigError, config_path, load_config

# name -> (module, help, needs config)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "run": ("run_cmd", "start the bot (polling or webhook, as config.toml says)", True),
    "summarize": ("summarize_cmd", "summarise an Arabic story from a file, a URL or stdin", False),
    "digest": (
        "digest_cmd",
        "poll every active feed once (config.toml's and those added from the chat, the CLI or OPML) "
        "and print the new stories' summaries",
        True,
    ),
    "feeds": ("feeds_cmd", "list, add, remove, pause, resume, import and export feeds", True),
    "search": ("search_cmd", "search stored stories by keyword", True),
    "eval": ("eval_cmd", "measure summary quality (ROUGE) on EASC or ANT", False),
    "db": (
        "db_cmd",
        "apply or inspect database migrations, back up a SQLite database, or copy an instance to another database",
        True,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="akhbar", description="Akhbar: Arabic news summaries on Telegram.")
    parser.add_argument(
        "--config",
        dest="config_file",
        metavar="PATH",
        help="config file (default: $AKHBAR_CONFIG, else ./config.toml)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text, _needs) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--config", dest="config_file_sub", metavar="PATH", help="config file")
        module = _module(module_name)
        if module is not None:
            module.add_arguments(command)
            _config_after_actions(command)
    return parser


def _config_after_actions(command: argparse.ArgumentParser) -> None:
    """`akhbar feeds list --config X` as well as `akhbar feeds --config X list`: the README promises
    every command takes --config, and people type it last."""
    for action in command._actions:  # argparse keeps its subcommands here, with no public accessor
        if isinstance(action, argparse._SubParsersAction):
            for parser in action.choices.values():
                parser.add_argument(
                    "--config",
                    dest="config_file_action",
                    metavar="PATH",
                    default=argparse.SUPPRESS,
                    help="config file",
                )


def _module(module_name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(f"bot.commands.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"bot.commands.{module_name}":
            raise
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module_name, _help, needs_config = COMMANDS[args.command]
    module = _module(module_name)
    if module is None:
        print(f"akhbar {args.command}: not available in this build", file=sys.stderr)
        return 1
    typed = getattr(args, "config_file_action", None) or getattr(args, "config_file_sub", None)
    args.config_path = config_path(typed or args.config_file)
    if not needs_config:
        return int(module.run(args))
    try:
        config = load_config(args.config_path)
    except ConfigError as exc:
        print(f"akhbar: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(module.run(args, config))
    except Exception as exc:
        from bot.db.database import DatabaseFromNewerRelease

        if isinstance(exc, DatabaseFromNewerRelease):  # every command that migrates: one line
            print(f"akhbar: {exc}", file=sys.stderr)
            return 2
        # A database that cannot be reached fails deep in the driver (ConnectionRefusedError,
        # FileNotFoundError for a socket): every command says so as `akhbar run` does, in one line;
        # any other failure keeps its traceback.
        problem = None if getattr(args, "temp_db", False) else _unreachable(config, args.config_path)
        if problem is None:
            raise
        print(problem, end="", file=sys.stderr)
        return 2


def _unreachable(config: Config, path: object) -> str | None:
    """What `akhbar run` says of a database it cannot use, or None when it can be used."""
    import asyncio

    from bot.commands.run_cmd import database_message

    return asyncio.run(database_message(config.database.url, path))


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `akhbar search … | head`: the reader has what it wanted. Python would print a traceback
        # while flushing stdout at exit, so stdout goes to /dev/null first (as the docs advise).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # what a shell reports for a command killed by SIGPIPE
    sys.exit(code)


if __name__ == "__main__":
    entry()
