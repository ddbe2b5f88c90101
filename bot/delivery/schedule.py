"""Local-time arithmetic for quiet hours and digest times (pure functions, tested on their own).

Times of day are "HH:MM" strings in the subscriber's time zone; zoneinfo handles daylight saving,
so "08:00" is 08:00 on the wall clock whatever the offset is that day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta

from bot.clock import as_utc
from bot.delivery.format import zone


def parse_hhmm(value: str | None) -> time | None:
    if not value:
        return None
    try:
        hour, minute = (int(part) for part in value.strip().split(":", 1))
        return time(hour % 24, minute)
    except (ValueError, TypeError):
        return None


def _at(day: datetime, moment: time, tz: str) -> datetime:
    """The UTC instant of wall-clock `moment` on the local date of `day` in `tz`."""
    zone_info = zone(tz)
    local = datetime.combine(day.date(), moment, tzinfo=zone_info)
    return local.astimezone(UTC)


def quiet_until(now: datetime, quiet_start: str | None, quiet_end: str | None, tz: str) -> datetime | None:
    """When `now` falls in the quiet hours, the UTC moment they end; otherwise None.

    Quiet hours may cross midnight ("23:00"–"07:00"). Equal start and end mean no quiet hours.
    """
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start is None or end is None or start == end:
        return None
    local = as_utc(now).astimezone(zone(tz))
    clock = local.time().replace(second=0, microsecond=0, tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local
    else:
        inside = clock >= start or clock < end
        end_day = local + timedelta(days=1) if clock >= start else local
    if not inside:
        return None
    return _at(end_day, end, tz)


def latest_slot(now: datetime, times: Iterable[str], tz: str) -> datetime | None:
    """The most recent digest time at or before `now` (UTC), looking back two days at most."""
    return max(_nearest_day(now, times, tz, -1, lambda slot: slot <= as_utc(now)), default=None)


def next_slot(now: datetime, times: Iterable[str], tz: str) -> datetime | None:
    """The first digest time after `now` (UTC): when the next digest comes."""
    return min(_nearest_day(now, times, tz, 1, lambda slot: slot > as_utc(now)), default=None)


def _nearest_day(
    now: datetime, times: Iterable[str], tz: str, step: int, keep: Callable[[datetime], bool]
) -> list[datetime]:
    """The digest times (UTC) that `keep` accepts on the nearest local day that has any: today,
    then one and two days away in the direction of `step`."""
    moments = [m for m in (parse_hhmm(t) for t in times) if m is not None]
    local = as_utc(now).astimezone(zone(tz))
    for days in (0, 1, 2):
        day = local + timedelta(days=step * days)
        kept = [slot for slot in (_at(day, moment, tz) for moment in moments) if keep(slot)]
        if kept:
            return kept
    return []


def slot_key(slot: datetime, tz: str) -> str:
    """'2024-05-01T20:00' in the subscriber's zone: names a digest in its dedup key."""
    return as_utc(slot).astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")
