"""Dates kept as ISO text in a report's results read « 4 décembre 2026 » on the page."""

from django.template import Context, Template

PAGE = Template('{% load report_dates %}{{ value|date_iso|date:"j F Y"|default:"—" }}')


def _shown(value: object) -> str:
    return PAGE.render(Context({"value": value}))


def test_iso_dates_and_timestamps_read_in_french() -> None:
    assert _shown("2026-12-04") == "4 décembre 2026"
    assert _shown("2026-01-15T10:00:00+00:00") == "15 janvier 2026"


def test_what_is_not_an_iso_date_shows_a_dash() -> None:
    assert _shown("") == "—"
    assert _shown(None) == "—"
    assert _shown("bientôt") == "—"
