"""French for what people read, plain numbers for what the browser draws.

Django localises every number it prints under fr-fr ("160,0"), which is right in a sentence and
wrong inside an SVG attribute, where a comma splits a coordinate in two. `svgnum` is for
attributes, `nombre` for text.
"""

import math
from decimal import Decimal
from typing import Any

from django import template

from dlnuf.www.numbers import format_french_number

register = template.Library()

SVG_DECIMALS = 3


@register.filter
def svgnum(value: Any) -> str:
    """A number for an SVG, CSS or data-* attribute: point decimal, at most three decimals,
    no thousands separator. A value that is not a finite number is a bug in the chart, so it
    fails loudly instead of drawing nothing."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"svgnum needs a number, got {value!r}")
    try:
        # A string already holding a plain number is accepted; "160,0" is not.
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"svgnum needs a number, got {value!r}") from error
    if not math.isfinite(number):
        raise ValueError(f"svgnum cannot draw {value!r}")
    text = f"{round(number, SVG_DECIMALS):.{SVG_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@register.filter
def nombre(value: Any, decimals: Any = None) -> str:
    """A number for people to read: "1 234,5", narrow no-break space between thousands.
    Without `decimals`, whole numbers stay whole and others keep at most two decimals."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return "—"
    if decimals is not None and decimals != "":
        return format_french_number(number, decimals=int(decimals))
    if number == number.to_integral_value():
        return format_french_number(number.to_integral_value())
    return format_french_number(number.quantize(Decimal("0.01")))


@register.filter
def pluriel(value: Any, forms: str) -> str:
    """`{{ n|pluriel:"an,ans" }}` gives "1 an", "2 ans". In French, below two is singular
    (0 an, 1,5 an)."""
    singular, _, plural = forms.partition(",")
    number = Decimal(str(value))
    word = singular if abs(number) < 2 else (plural or singular)
    return f"{nombre(number)} {word}"


@register.filter
def centile(value: Any) -> str:
    """The French ordinal of the centile a percentile rank falls in: 1er, 25e. Centiles run
    from the 1st to the 100th, so a rank of 0.3 is in the 1st."""
    rank = max(1, min(100, round(float(value))))
    return f"{rank}er" if rank == 1 else f"{rank}e"
