"""The expiry date a document states: English and German labels, the usual date forms,
passport and ID card layouts, and never a date of birth, issue or signing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shre.intelligence.expiry import find_expiry

EXPIRES = date(2031, 3, 12)


@pytest.mark.parametrize(
    "text",
    [
        "Valid until: 12.03.2031",
        "This permit is valid until 12 March 2031.",
        "valid until the 12th of March 2031",
        "Valid through March 12, 2031",
        "Card expires 2031-03-12",
        "The visa expires on 12/03/2031.",
        "Expiry date: 12 Mar 2031",
        "Expiration date 2031-03-12",
        "Date of expiry 12 MAR 2031",
        "Date of expiry/Date d'expiration (9)\n12 MAR /MARS 31",
        "Date of issue    Date of expiry\n12 MAR 2021       12 MAR 2031",
        "Date of birth    Date of expiry\n01 JAN 1990       12 MAR 2031",
        "Date of expiration     Department of State\n12 Mar 2031",
        "Gültig bis: 12.03.2031",
        "Gültig bis 12. März 2031",
        "gültig bis einschließlich 12.3.2031",
        "Gültig bis/Date of expiry/Date d'expiration\n12.03.2031",
        "Ausstellungsdatum  12.03.2021   Gültig bis  12.03.2031",
        "Gültig bis   Dokumentennummer\n12.03.2031   Y000K1234",
        "Ablaufdatum: 12.03.2031",
        "Das Arbeitsverhältnis ist befristet bis zum 12.03.2031.",
        "Reisepass gültig bis 12 MÄR/MAR 2031",
        "Geburtsdatum 01.01.1990, Gültigkeit bis 12.03.2031",
        "valid from 12.03.2026 to 12.03.2031",
        "Gültig vom 12.03.2026 bis 12.03.2031",
        "Expiry/Expiration  2031 MAR 12",
        "Ausgestellt  2021 03 12     Gültig bis  2031 03 12",
        "Dáta éaga / Date of expiry  12 03 2031",
        "Valid until  12-03-2031",
        # American documents write the month first.
        "ISSUED: 06/12/2022   EXPIRES: 03/12/2031\nUNITED STATES OF AMERICA",
        "DOB 07/25/1991   Expires 03/12/2031",
    ],
)
def test_a_stated_expiry_is_found(text: str) -> None:
    assert find_expiry(text) == EXPIRES


@pytest.mark.parametrize(
    ("text", "expires"),
    [
        ("Valid until March 2031", date(2031, 3, 31)),  # a month: its last day
        ("Expiry: 02/2028", date(2028, 2, 29)),
        ("Card Expires  03/31/26", date(2026, 3, 31)),  # day 31 can only be the day
        ("Gültig bis 31.12.31", date(2031, 12, 31)),  # two-digit years: this century's
    ],
)
def test_partial_and_short_dates(text: str, expires: date) -> None:
    assert find_expiry(text) == expires


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Date of birth: 12.03.1990",
        "Geburtsdatum 12.03.1990",
        "Date of issue\n12.03.2021",
        "Ausstellungsdatum: 12.03.2021",
        "Signed on 12 March 2021 in Berlin.",
        "Der Vertrag wurde am 12.03.2021 unterzeichnet.",
        "Das Arbeitsverhältnis beginnt am 01.04.2025 und wird auf unbestimmte Zeit geschlossen.",
        "The certificate expired on 12.03.2020.",  # an earlier document's
        "Valid until further notice.\nDate of birth: 12.03.1990",
        "Valid until revoked. Date of birth 12.03.1990",
        "This offer expires seven days after the date of this letter, 12.03.2025.",
        "This agreement expires\nwhen the project is done, on 01.02.2025 or at the end of the"
        " budget year, whichever is first.",
        "Date of birth    Date of issue\n01 JAN 1990       12 MAR 2021",
        "Gültig bis 31.02.2031",  # no such day
        "Nach Ablauf der Probezeit gelten die gesetzlichen Kündigungsfristen.",
        "Net pay 3.650,00 EUR, paid on 31.03.2025",
    ],
)
def test_no_expiry_is_made_up(text: str) -> None:
    assert find_expiry(text) is None


def test_the_first_stated_expiry_wins() -> None:
    text = "Passport valid until 12.03.2031.\nVisa valid until 01.09.2027."
    assert find_expiry(text) == EXPIRES


FORMS: list[Callable[[date], str]] = [
    lambda d: d.isoformat(),
    lambda d: f"{d.day:02}.{d.month:02}.{d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{d.day} {d:%B} {d.year}",
    lambda d: f"{d.day} {d:%b} {d.year}".upper(),
    lambda d: f"{d:%B} {d.day}, {d.year}",
]
LABELS = ["Valid until", "Date of expiry:", "Expiry date", "Gültig bis", "Ablaufdatum:"]


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(FORMS),
    st.sampled_from(LABELS),
    st.sampled_from(["", "Date of birth: 01.02.1970\n", "Ausgestellt am 03.04.2019. "]),
)
def test_any_date_in_any_form_reads_back(
    expires: date, form: Callable[[date], str], label: str, before: str
) -> None:
    assert find_expiry(f"{before}{label} {form(expires)}") == expires
