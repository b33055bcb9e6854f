"""French wording shared by every part of the product: counts that agree, dates in words."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from dlnuf.french import date_fr, format_french_number, plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 anomalie détectée"),
        (1, "1 anomalie détectée"),
        (2, "2 anomalies détectées"),
        (12000, "12\u202f000 anomalies détectées"),
    ],
)
def test_plural_agrees_with_the_count(count: int, expected: str) -> None:
    assert plural(count, "anomalie détectée", "anomalies détectées") == expected


def test_french_number_groups_thousands_with_a_narrow_no_break_space() -> None:
    assert format_french_number(1234567.5) == "1\u202f234\u202f567,5"


def test_dates_are_written_in_words_whatever_language_is_active() -> None:
    with translation.override("en"):
        assert date_fr(date(2026, 12, 4)) == "4 décembre 2026"
        assert date_fr(date(2026, 3, 1)) == "1er mars 2026"


def test_date_with_time_is_in_the_portal_time_zone(settings) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime(2026, 12, 4, 8, 5, tzinfo=ZoneInfo("UTC"))
    assert date_fr(moment, with_time=True) == "4 décembre 2026 à 9 h 05"
