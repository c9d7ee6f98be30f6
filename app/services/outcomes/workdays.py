"""Working days (法定工作日) in China: Monday to Friday, less the statutory holidays, plus the
weekend days worked in exchange (调休), from the State Council's yearly notice as the
chinese-calendar package carries it. A year the package does not know yet counts Monday to
Friday."""

from datetime import date, timedelta

import chinese_calendar


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year not yet announced
        return day.weekday() < 5


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count


def add_workdays(start: date, days: int) -> date:
    """The day `days` working days after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= is_workday(day)
    return day
