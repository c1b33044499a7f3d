"""Times as the workstation's user reads them: local, with the zone named.

The vault, the access log and every PDF keep UTC; only what a window shows goes through
here. The zone is the operating system's (datetime.astimezone() with no argument), so an
officer in London reads "29 Nov 2026 22:30 GMT" in winter and "... BST" in summer.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Not strftime's %b: QApplication sets the C library's locale from the environment, and the window is in English.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _as_utc(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        text = moment.strip()
        # The vault's ISO form ends in Z; fromisoformat reads it only from Python 3.11, and this is explicit.
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    # A naive time from the vault is UTC by the vault's own rule, never the workstation's zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_text(utc: datetime | str) -> str:
    """`utc` in the workstation's zone: "29 Nov 2026 22:30 GMT" (the abbreviation the OS gives)."""
    local = _as_utc(utc).astimezone()
    zone = local.tzname() or local.strftime("%z")  # an abbreviation-less zone still says its offset
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} {zone}"


def local_day_text(utc: datetime | str) -> str:
    """Only the local calendar day, in ISO form ("2026-11-29"): where a line gives a day, not a moment
    (a review signed late in the evening in London was signed on that day, not on UTC's next one)."""
    return _as_utc(utc).astimezone().date().isoformat()


def utc_text(utc: datetime | str) -> str:
    """The vault's own record of a moment, to the second: "2026-11-29 22:30:05 UTC" (a tooltip beside local_text)."""
    return f"{_as_utc(utc).astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def local_and_utc_text(utc: datetime | str) -> str:
    """local_text, then the UTC record it came from: "29 Nov 2026 22:30 GMT (22:30:05 UTC)". An auditor
    quotes the UTC time (the log and the PDFs keep it); its day is named too when it is not the local one."""
    moment = _as_utc(utc).astimezone(UTC)
    same_day = moment.date() == moment.astimezone().date()
    day = "" if same_day else f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} "
    return f"{local_text(moment)} ({day}{moment:%H:%M:%S} UTC)"


def local_clock_text(utc: datetime) -> str:
    """Only the local hour and minute ("14:32"): for the status bar's line about a moment just past."""
    return f"{_as_utc(utc).astimezone():%H:%M}"
