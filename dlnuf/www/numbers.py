"""Numbers people type, read the French way, and written back the French way.

One parser for every form: a comma or a point marks the decimals, spaces (ordinary, no-break or
narrow no-break) group thousands by three. Anything that could be read two ways ("1.234,5",
"1,2,3", "12 00") is refused with a French message rather than guessed: a misread figure is
worse than a question.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from dlnuf.french import NARROW_NO_BREAK_SPACE, format_french_number

NO_BREAK_SPACE = "\u00a0"
MINUS_SIGN = "\u2212"
THOUSANDS_SEPARATORS = " " + NO_BREAK_SPACE + NARROW_NO_BREAK_SPACE
# Long enough for any amount a project handles, short enough that float() never overflows.
MAX_LENGTH = 40

_SPACE_CLASS = f"[{THOUSANDS_SEPARATORS}]"
_NUMBER = re.compile(
    rf"""
    (?P<sign>[+\-{MINUS_SIGN}])?{_SPACE_CLASS}?
    (?P<integer>[0-9]{{1,3}}(?:{_SPACE_CLASS}[0-9]{{3}})+|[0-9]+)?
    (?:(?P<mark>[.,])(?P<fraction>[0-9]+))?
    """,
    re.VERBOSE,
)
_PERCENT_SUFFIX = re.compile(rf"{_SPACE_CLASS}*%$")


def parse_french_number(
    text: str,
    *,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    integer: bool = False,
    percent: bool = False,
) -> Decimal:
    """The number written in `text`, or a ValidationError in French saying what to write."""
    raw = str(text).strip()
    if not raw:
        raise ValidationError("Saisissez un nombre.", code="required")
    if len(raw) > MAX_LENGTH:
        raise ValidationError("Ce nombre est trop long.", code="invalid")
    if "%" in raw:
        if not percent:
            raise ValidationError(
                "Le signe % n'est pas attendu ici : saisissez seulement le nombre.", code="invalid"
            )
        raw = _PERCENT_SUFFIX.sub("", raw)
        if "%" in raw:
            raise ValidationError("Le signe % se place après le nombre.", code="invalid")
    if "," in raw and "." in raw:
        raise ValidationError(
            f"« {raw} » est ambigu : utilisez la virgule pour les décimales et l'espace pour "
            "les milliers, par exemple 1 234,5.",
            code="ambiguous",
        )
    if raw.count(",") + raw.count(".") > 1:
        raise ValidationError(
            f"« {raw} » contient plusieurs séparateurs décimaux : écrivez par exemple 1 234,5.",
            code="ambiguous",
        )
    if raw.endswith((",", ".")):
        raise ValidationError(
            f"« {raw} » : écrivez les décimales après la virgule, ou retirez-la.", code="invalid"
        )
    match = _NUMBER.fullmatch(raw)
    if match is None or not (match["integer"] or match["fraction"]):
        if re.fullmatch(rf"[+\-{MINUS_SIGN}]?[0-9{THOUSANDS_SEPARATORS}]+(?:[.,][0-9]+)?", raw):
            raise ValidationError(
                f"« {raw} » : les milliers se séparent par groupes de trois chiffres, "
                "par exemple 12 000 ou 12000.",
                code="grouping",
            )
        raise ValidationError(
            f"« {raw} » n'est pas un nombre : écrivez par exemple 4,5 ou 1 250.", code="invalid"
        )
    digits = re.sub(_SPACE_CLASS, "", match["integer"] or "0")
    sign = "-" if match["sign"] in ("-", MINUS_SIGN) else ""
    fraction = match["fraction"] or ""
    try:
        number = Decimal(f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}")
    except InvalidOperation as error:  # pragma: no cover - the pattern admits digits only
        raise ValidationError("Saisissez un nombre.", code="invalid") from error
    if integer and number != number.to_integral_value():
        raise ValidationError(
            f"« {raw} » : saisissez un nombre entier, sans décimales.", code="not_integer"
        )
    if integer:
        number = number.quantize(Decimal(1))
    _check_range(number, minimum=minimum, maximum=maximum, percent=percent)
    return number


def _check_range(
    number: Decimal,
    *,
    minimum: Decimal | int | None,
    maximum: Decimal | int | None,
    percent: bool,
) -> None:
    unit = NARROW_NO_BREAK_SPACE + "%" if percent else ""

    def written(bound: Decimal | int) -> str:
        return format_french_number(Decimal(bound)) + unit

    if minimum is not None and maximum is not None and not minimum <= number <= maximum:
        raise ValidationError(
            f"Saisissez une valeur comprise entre {written(minimum)} et {written(maximum)}.",
            code="min_value" if number < minimum else "max_value",
        )
    if minimum is not None and number < minimum:
        raise ValidationError(
            f"Saisissez une valeur supérieure ou égale à {written(minimum)}.", code="min_value"
        )
    if maximum is not None and number > maximum:
        raise ValidationError(
            f"Saisissez une valeur inférieure ou égale à {written(maximum)}.", code="max_value"
        )


class FrenchNumberInput(forms.TextInput):
    """A text input: the browser's number input would reject a comma in some locales and
    accept one in others, and silently drops what it cannot read."""

    def __init__(self, *, inputmode: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"inputmode": inputmode, "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return format_french_number(value, thousands="")
        return super().format_value(value)


class FrenchDecimalField(forms.Field):
    """A decimal number typed the French way; cleans to a Decimal."""

    integer = False
    percent = False
    inputmode = "decimal"

    def __init__(
        self,
        *,
        minimum: Decimal | int | None = None,
        maximum: Decimal | int | None = None,
        decimal_places: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.decimal_places = decimal_places
        kwargs.setdefault("widget", FrenchNumberInput(inputmode=self.inputmode))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        try:
            number = self._parse(value)
        except ValidationError as error:
            # A field may say its range in its own words ("Au moins une mission.").
            if error.code in self.error_messages and error.code != "required":
                raise ValidationError(self.error_messages[error.code], code=error.code) from error
            raise
        exponent = number.as_tuple().exponent
        places = self.decimal_places
        if places is not None and isinstance(exponent, int) and -exponent > places:
            raise ValidationError(
                f"{places} décimale au plus." if places == 1 else f"{places} décimales au plus.",
                code="max_decimal_places",
            )
        return number

    def _parse(self, value: Any) -> Decimal:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            number = value if isinstance(value, Decimal) else Decimal(str(value))
            _check_range(number, minimum=self.minimum, maximum=self.maximum, percent=self.percent)
            return number
        return parse_french_number(
            str(value),
            minimum=self.minimum,
            maximum=self.maximum,
            integer=self.integer,
            percent=self.percent,
        )

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs: dict[str, Any] = super().widget_attrs(widget)
        attrs["inputmode"] = self.inputmode
        return attrs


class FrenchIntegerField(FrenchDecimalField):
    """A whole number typed the French way ("12 000"); cleans to an int."""

    integer = True
    inputmode = "numeric"

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        number = super().to_python(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ValidationError("Saisissez un nombre entier, sans décimales.", code="not_integer")
        return int(number)


class FrenchPercentField(FrenchDecimalField):
    """A percentage typed the French way ("4,5" or "4,5 %"); cleans to the Decimal 4.5.
    Between 0 and 100 unless told otherwise."""

    percent = True

    def __init__(
        self,
        *,
        minimum: Decimal | int | None = 0,
        maximum: Decimal | int | None = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(minimum=minimum, maximum=maximum, **kwargs)
