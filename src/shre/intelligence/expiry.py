"""The expiry date a document states ("valid until 12.03.2031", "Gültig bis", a passport's
"Date of expiry 12 MAR 2031"), or None. Only a date that follows an expiry label counts,
so dates of birth, issue dates and signing dates are never taken for one. Stdlib only."""

from __future__ import annotations

import calendar
import re
from datetime import date

_MONTHS = {
    "jan": 1, "january": 1, "januar": 1, "jänner": 1, "jaenner": 1,
    "feb": 2, "february": 2, "februar": 2, "feber": 2,
    "mar": 3, "march": 3, "mär": 3, "märz": 3, "maerz": 3, "mrz": 3,
    "apr": 4, "april": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juni": 6,
    "jul": 7, "july": 7, "juli": 7,
    "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10,
    "nov": 11, "november": 11,
    "dec": 12, "december": 12, "dez": 12, "dezember": 12,
}  # fmt: skip

# A month's name, or two of them ("DEZ/DEC" on a German passport): the first is read.
_NAME = r"(?P<n{0}>[^\W\d_]{{3,9}})\.?(?:\s?/\s?[^\W\d_]{{3,9}}\.?)?"
_DAY = r"(?P<d{0}>[0-3]?\d)(?:st|nd|rd|th)?\.?"
_YEAR = r"(?:(?P<y{0}>(?:19|20|21)\d\d)|(?P<s{0}>\d\d))"
_LONG_YEAR = r"(?P<y{0}>(?:19|20|21)\d\d)"
_NUM = r"(?P<m{0}>[01]?\d)"

# Each form numbers its groups (y: year, s: two-digit year, m: month, n: month's name,
# d: day); a form without a day means the month's last day. Two-digit years are a
# passport's or a card's: this century's.
_FORMS = [
    rf"{_LONG_YEAR.format(1)}-{_NUM.format(1)}-(?P<d1>[0-3]?\d)",
    rf"(?P<d2>[0-3]?\d)\.\s?{_NUM.format(2)}\.\s?{_YEAR.format(2)}",
    rf"(?P<d3>[0-3]?\d)-{_NUM.format(3)}-{_LONG_YEAR.format(3)}",
    # Day first, or month first when the document writes its dates so (_month_first).
    rf"(?P<d4>[0-3]?\d)/(?P<m4>[0-3]?\d)/{_YEAR.format(4)}",
    rf"{_DAY.format(5)}\s*(?:of\s+)?{_NAME.format(5)},?\s*{_YEAR.format(5)}",
    rf"{_NAME.format(6)}\s+{_DAY.format(6)},?\s*{_LONG_YEAR.format(6)}",
    rf"{_LONG_YEAR.format(7)}\s+{_NAME.format(7)}\s+(?P<d7>[0-3]?\d)",
    rf"{_LONG_YEAR.format(8)} {_NUM.format(8)} (?P<d8>[0-3]?\d)",
    rf"(?P<d9>[0-3]?\d) {_NUM.format(9)} {_LONG_YEAR.format(9)}",
    rf"{_NAME.format(10)}\s+{_LONG_YEAR.format(10)}",
    rf"{_NUM.format(11)}\s?[./]\s?{_LONG_YEAR.format(11)}",
]
_SLASHED = 4
_DATE = re.compile(r"(?<![\d./-])(?:" + "|".join(_FORMS) + r")(?![\d])", re.IGNORECASE)
_US_DATE = re.compile(r"(?<![\d./])([0-3]?\d)/([0-3]?\d)/(?:\d\d){1,2}(?![\d/])")
_AMERICAN = re.compile(r"\bunited\s+states\b|\bU\.S\.A?\.?|\bUSA\b", re.IGNORECASE)

# What introduces an expiry date. The past tense ("expired on") names an earlier document.
_LABEL = re.compile(
    r"\bvalid\s+(?:until|till|through|thru|to)\b"
    r"|\b(?:valid|gültig)\s+(?:from|vom|ab)\s+[^\n]{4,30}?\s+(?:to|until|till|through|bis)\b"
    r"|\bdate\s+of\s+expiry\b|\bexpiry\s+date\b|\bexpiration\s+date\b"
    r"|\bexpir(?:es|y|ation|ing)\b(?:\s+(?:on|at))?"
    r"|\bgültig(?:keit|keitsdauer)?\s+bis\b"
    r"|\bablaufdatum\b|\bverfallsdatum\b|\bablauf\s+der\s+gültigkeit\b"
    r"|\bbefristet\s+bis\b",
    re.IGNORECASE,
)
# Labels of other dates: they end an expiry label's reach and hold their own columns.
_OTHER_LABEL = re.compile(
    r"\bdate\s+of\s+(?!expir)\w+|birth|\bgeboren|\bgeb\.|geburt|\bissued?\b|\bissuing\b"
    r"|ausgestellt|ausstellung|\bsigned\b|unterzeichnet|unterschrieben|\bsince\b|\bseit\b",
    re.IGNORECASE,
)
# How far a date may stand from its label on the same line (": ", "(inclusive)", "am").
_REACH = 40
_COLUMN = re.compile(r"\S+(?: \S+)*")
_WORD = re.compile(r"[^\W\d_]{2,}")
# A form's line of values holds dates and a few words (an authority, a number's name).
_VALUE_WORDS = 6


def find_expiry(text: str) -> date | None:
    """The first expiry date the text states after an expiry label, or None."""
    month_first = _month_first(text)
    lines = text.splitlines()
    for index, line in enumerate(lines):
        for label in _LABEL.finditer(line):
            rest = line[label.end() :]
            found = _date_after(rest, month_first)
            if found is None and index + 1 < len(lines) and _heads_a_column(rest):
                # A form: the label heads a column and the value stands on the next line.
                found = _date_below(line, label.start(), lines[index + 1], month_first)
            if found is not None:
                return found
    return None


def _month_first(text: str) -> bool:
    """Whether the document writes 03/31/2026: one of its slashed dates says so (and
    none 31/03/2026), or none tells and the document is American. Else day first."""
    orders = {(int(a) > 12, int(b) > 12) for a, b in _US_DATE.findall(text)}
    if (True, False) in orders:
        return False
    return (False, True) in orders or _AMERICAN.search(text) is not None


def _heads_a_column(rest: str) -> bool:
    """What follows the label on its line is no date and no sentence: other labels."""
    return _DATE.search(rest) is None and len(rest.strip()) <= _REACH


def _date_after(rest: str, month_first: bool) -> date | None:
    for match in _DATE.finditer(rest):
        gap = rest[: match.start()]
        if len(gap) > _REACH or _OTHER_LABEL.search(gap) or _LABEL.search(gap):
            return None
        parsed = _parse(match, month_first)
        if parsed is not None:
            return parsed
    return None


def _date_below(labels: str, at: int, values: str, month_first: bool) -> date | None:
    """The value under a label, by the label's order among the line's dated columns
    ("Date of issue    Date of expiry" over "12 MAR 2021    12 MAR 2031")."""
    if _OTHER_LABEL.search(values) or _LABEL.search(values):
        return None  # the next line is labelled itself
    if len(_WORD.findall(_DATE.sub(" ", values))) > _VALUE_WORDS:
        return None  # a sentence, not a form's values
    matches = (_parse(m, month_first) for m in _DATE.finditer(values))
    dates = [parsed for parsed in matches if parsed is not None]
    dated = [
        c for c in _COLUMN.finditer(labels) if _LABEL.search(c[0]) or _OTHER_LABEL.search(c[0])
    ]
    ordinal = next((i for i, c in enumerate(dated) if c.start() <= at < c.end()), None)
    if ordinal is None or not dates:
        return None
    if len(dates) == 1:
        # One value under a line of labels is the expiry only if no other date's label
        # stands beside this one ("Gültig bis/Date of expiry" over one date).
        return None if any(_OTHER_LABEL.search(c[0]) for c in dated) else dates[0]
    return dates[ordinal] if ordinal < len(dates) else None


def _parse(match: re.Match[str], month_first: bool) -> date | None:
    parts = match.groupdict()
    form = next(n for n in range(1, len(_FORMS) + 1) if parts.get(f"y{n}") or parts.get(f"s{n}"))
    year = int(parts[f"y{form}"] or 2000 + int(parts[f"s{form}"]))
    name = parts.get(f"n{form}")
    month = _MONTHS.get(name.lower()) if name is not None else int(parts[f"m{form}"])
    if month is None:
        return None
    day_text = parts.get(f"d{form}")
    if day_text is None:
        if not 1 <= month <= 12:
            return None
        return date(year, month, calendar.monthrange(year, month)[1])
    day = int(day_text)
    if form == _SLASHED and (month_first or month > 12 >= day):
        day, month = month, day
    try:
        return date(year, month, day)
    except ValueError:
        return None
