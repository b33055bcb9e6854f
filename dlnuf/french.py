"""French for what people read, shared by every part of the product: numbers written with a
narrow no-break space between thousands and a decimal comma, and words agreeing with their count
(never "anomalie(s)")."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.formats import date_format

NARROW_NO_BREAK_SPACE = "\u202f"


def format_french_number(
    value: Decimal | int | float,
    *,
    decimals: int | None = None,
    thousands: str = NARROW_NO_BREAK_SPACE,
) -> str:
    """A number written the French way: "1 234,5". `decimals` fixes the number of decimals;
    without it the value is written exactly, without trailing zeros."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"Cannot write {value!r} as a French number.")
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals))
        text = f"{number:f}"
    else:
        text = f"{number:f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    integer, _, fraction = text.lstrip("-").partition(".")
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    written = thousands.join(groups) + ("," + fraction if fraction else "")
    return "-" + written if number < 0 else written


def plural(count: int, singular: str, plural_form: str) -> str:
    """ "1 anomalie détectée", "3 anomalies détectées": below two is singular in French."""
    word = singular if abs(count) < 2 else plural_form
    return f"{format_french_number(count)} {word}"


def date_fr(moment: date | datetime, *, with_time: bool = False) -> str:
    """« 4 décembre 2026 », « 1er mars 2026 » (« 4 décembre 2026 à 9 h 05 » with the time), in
    the portal's time zone, whatever language is active."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    with translation.override("fr"):
        day = date_format(moment, "j F Y")
        if moment.day == 1:
            day = "1er" + day[1:]
        if not with_time or not isinstance(moment, datetime):
            return day
        return f"{day} à {moment.hour} h {moment.minute:02d}"
