"""Every chart of every report, drawn by Chromium in French: coordinates written with a point,
every drawn element inside its drawing, and the PDFs' charts inked.

Django writes a float as "160,0" under fr-fr; inside an SVG attribute that is two numbers or
none, and the browser silently drops the shape. These tests open the pages a French reader opens
and check what the browser actually drew.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO, StringIO
from typing import Any
from urllib.parse import urljoin

import pypdfium2
import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.journal.services import journal_record
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.models import User
from dlnuf.procedures.models import Procedure
from dlnuf.procedures.services import diagnostic_run
from dlnuf.toolbox.demo import COSTING_TITLE, MAREVA_TITLE
from dlnuf.toolbox.models import ToolReport
from dlnuf.www.costing_views.views import report_context as costing_context
from dlnuf.www.mareva_views.views import report_context as mareva_context
from tests.journal.factories import ExchangeRecordFactory
from tests.www.browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

LYON = "21690123100011"
NUMBER = r"-?\d+(?:\.\d+)?"
NUMBER_ONLY = re.compile(rf"^{NUMBER}$")
LENGTH = re.compile(rf"^{NUMBER}%?$")
VIEW_BOX = re.compile(rf"^{NUMBER} {NUMBER} {NUMBER} {NUMBER}$")
POINT_PAIR = re.compile(rf"^{NUMBER},{NUMBER}$")
TRANSFORM = re.compile(rf"^(?:[a-zA-Z]+\((?:{NUMBER})(?: {NUMBER})*\)\s*)+$")
PATH_DATA = re.compile(rf"^(?:[MmLlHhVvCcSsQqTtAaZz]|{NUMBER}|[\s,])*$")
# The browser measures text and strokes with sub-unit rounding.
TOLERANCE = 1.0

# Run in the page: the raw attributes of every chart, and where the browser drew each element,
# in the chart's own units (the viewBox), whatever the scaling applied by the page's CSS.
MEASURE_CHARTS = """
() => [...document.querySelectorAll("figure svg[viewBox]")].map((svg, index) => {
  const numeric = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height",
                   "points", "d", "viewBox", "transform"];
  const box = svg.viewBox.baseVal;
  const toChart = svg.getScreenCTM().inverse();
  const attributes = [];
  const drawn = [];
  for (const element of [svg, ...svg.querySelectorAll("*")]) {
    for (const name of numeric) {
      if (element.hasAttribute(name)) {
        attributes.push({tag: element.tagName, name, value: element.getAttribute(name)});
      }
    }
    if (!["rect", "line", "circle", "polygon", "polyline", "path", "text", "ellipse"]
        .includes(element.tagName)) continue;
    const rect = element.getBoundingClientRect();
    const corners = [[rect.left, rect.top], [rect.right, rect.bottom]].map(
      ([x, y]) => new DOMPoint(x, y).matrixTransform(toChart));
    drawn.push({
      tag: element.tagName,
      text: element.textContent.slice(0, 40),
      left: corners[0].x, top: corners[0].y, right: corners[1].x, bottom: corners[1].y,
      area: rect.width * rect.height,
    });
  }
  return {
    index,
    label: svg.querySelector("title")?.textContent || svg.closest("figure")?.textContent
      .trim().slice(0, 60) || "graphique " + index,
    box: {x: box.x, y: box.y, width: box.width, height: box.height},
    attributes,
    drawn,
  };
})
"""


@dataclass(frozen=True)
class Chart:
    label: str
    problems: list[str]
    shapes_drawn: int


def _attribute_problem(tag: str, name: str, value: str) -> str | None:
    value = value.strip()
    if name == "viewBox":
        ok = bool(VIEW_BOX.match(value))
    elif name == "points":
        ok = all(POINT_PAIR.match(pair) for pair in value.split())
    elif name == "transform":
        ok = bool(TRANSFORM.match(value))
    elif name == "d":
        ok = bool(PATH_DATA.match(value)) and not re.search(r"\d,\d+,", value)
    elif name in {"width", "height"}:
        ok = bool(LENGTH.match(value))
    else:
        ok = bool(NUMBER_ONLY.match(value))
    return None if ok else f"<{tag} {name}={value!r}> is not a locale-free number"


def measure_charts(page: Any) -> list[Chart]:
    charts = []
    for raw in page.evaluate(MEASURE_CHARTS):
        problems = [
            problem
            for attribute in raw["attributes"]
            if (
                problem := _attribute_problem(
                    attribute["tag"], attribute["name"], attribute["value"]
                )
            )
        ]
        box = raw["box"]
        low_x, low_y = box["x"] - TOLERANCE, box["y"] - TOLERANCE
        high_x = box["x"] + box["width"] + TOLERANCE
        high_y = box["y"] + box["height"] + TOLERANCE
        shapes = 0
        for element in raw["drawn"]:
            if element["area"] == 0 and element["tag"] != "line":
                continue
            if element["tag"] != "text" and element["area"] > 0:
                shapes += 1
            inside = (
                low_x <= element["left"] <= element["right"] <= high_x
                and low_y <= element["top"] <= element["bottom"] <= high_y
            )
            if not inside:
                problems.append(
                    f"<{element['tag']}> {element['text']!r} drawn at "
                    f"({element['left']:.1f}, {element['top']:.1f})–"
                    f"({element['right']:.1f}, {element['bottom']:.1f}), outside the viewBox "
                    f"{box['x']} {box['y']} {box['width']} {box['height']}"
                )
        charts.append(Chart(raw["label"], problems, shapes))
    return charts


def assert_charts_sound(page: Any, *, at_least: int) -> list[Chart]:
    charts = measure_charts(page)
    assert len(charts) >= at_least, f"{page.url}: {len(charts)} charts, {at_least} expected"
    report = [f"{chart.label}: {problem}" for chart in charts for problem in chart.problems]
    assert report == [], f"{page.url}:\n" + "\n".join(report)
    empty = [chart.label for chart in charts if chart.shapes_drawn == 0]
    assert empty == [], f"{page.url}: charts with nothing drawn: {empty}"
    return charts


def pdf_chart_ink(content: bytes, colour: tuple[int, int, int], tolerance: int = 8) -> int:
    """Pixels of the chart's colour over every page of the PDF as drawn by PDFium."""
    assert content.startswith(b"%PDF-"), content[:20]
    document = pypdfium2.PdfDocument(BytesIO(content))
    try:
        inked = 0
        for page in document:
            image = page.render(scale=1).to_pil().convert("RGB")
            inked += sum(
                count
                for count, pixel in image.getcolors(maxcolors=1 << 24) or []
                if all(
                    abs(channel - wanted) <= 24
                    for channel, wanted in zip(pixel, colour, strict=True)
                )
            )
        return inked
    finally:
        document.close()


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    catalogue_load()
    call_command("load_demo_data", stdout=StringIO())
    # Calls of Lyon over the last days, so the dashboard draws its usage chart.
    now = timezone.now()
    for days_ago, status in [(0, 200), (0, 200), (0, 502), (1, 200), (3, 404), (3, 200)]:
        journal_record(
            ExchangeRecordFactory.build(
                consumer_siret=LYON,
                dataset_slug="quotient-familial",
                occurred_at=now - timedelta(days=days_ago),
                status=status,
                code={200: "ok", 404: "subject_not_found", 502: "provider_error"}[status],
            )
        )
    procedure = Procedure.objects.filter(organisation__siret=LYON).order_by("pk").first()
    assert procedure is not None
    agent = User.objects.get(email="agent.lyon@demo.dlnuf.fr")
    while procedure.diagnostics.count() < 2:
        diagnostic_run(procedure=procedure, run_by=agent)
    return {
        "url": live_server.url,
        "procedure": procedure,
        "mareva": ToolReport.objects.get(title=MAREVA_TITLE),
        "costing": ToolReport.objects.get(title=COSTING_TITLE),
    }


def _open(page: Any, base: str, path: str) -> None:
    response = page.goto(urljoin(base, path))
    assert response is not None, path
    assert response.status == 200, path


def _pdf_html(template: str, context: dict[str, Any], user: User) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(template, {**context, "for_pdf": True}, request=request)


def test_value_report_charts_are_drawn_in_french(page: Any, demo: dict[str, Any]) -> None:
    report = demo["mareva"]
    sign_in(page, demo["url"], "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)
    _open(page, demo["url"], f"/boite-a-outils/valeur/{report.pk}/")
    charts = assert_charts_sound(page, at_least=3)
    radar = next(chart for chart in charts if chart.label.startswith("Radar"))
    # Four rings and the project's shape (the axes are lines, without area).
    assert radar.shapes_drawn == 5
    text = page.inner_text("main")
    assert "an(s)" not in text
    assert re.search(r"\d{1,2} [a-zéû]+ \d{4}", text), "the creation date is written in words"

    page.set_content(
        _pdf_html("www/toolbox/mareva/report_pdf.html", mareva_context(report), report.created_by)
    )
    assert_charts_sound(page, at_least=3)

    pdf = page.request.get(urljoin(demo["url"], f"/boite-a-outils/valeur/{report.pk}/rapport.pdf"))
    assert pdf.status == 200
    # The bars of the NPV under each overrun, green while positive and red once negative:
    # with coordinates written "539,7" they were not drawn at all (0 pixels of either colour).
    green = pdf_chart_ink(pdf.body(), (0x18, 0x75, 0x3C))
    red = pdf_chart_ink(pdf.body(), (0xCE, 0x05, 0x00))
    assert green + red > 1_000


def test_cost_review_charts_are_drawn_in_french(page: Any, demo: dict[str, Any]) -> None:
    report = demo["costing"]
    sign_in(page, demo["url"], "expert@demo.dlnuf.fr", DEMO_PASSWORD)
    _open(page, demo["url"], f"/boite-a-outils/chiffrage/{report.pk}/")
    charts = assert_charts_sound(page, at_least=3)
    histograms = [chart for chart in charts if "Distribution" in chart.label]
    assert len(histograms) == 2
    assert all(chart.shapes_drawn >= 10 for chart in histograms)
    text = page.inner_text("main")
    assert "1e centile" not in text
    assert "des tous" not in text

    page.set_content(
        _pdf_html("www/toolbox/costing/report_pdf.html", costing_context(report), report.created_by)
    )
    assert_charts_sound(page, at_least=3)

    pdf = page.request.get(
        urljoin(demo["url"], f"/boite-a-outils/chiffrage/{report.pk}/rapport.pdf")
    )
    assert pdf.status == 200
    # The histograms' columns (#6a6af4) cover a good part of a page once drawn (about 34 000
    # pixels; 275 when the coordinates were written with a comma).
    assert pdf_chart_ink(pdf.body(), (0x6A, 0x6A, 0xF4)) > 10_000


def test_dashboard_and_procedure_charts_are_drawn_in_french(
    page: Any, demo: dict[str, Any]
) -> None:
    sign_in(page, demo["url"], "agent.lyon@demo.dlnuf.fr", DEMO_PASSWORD)
    _open(page, demo["url"], "/tableau-de-bord/")
    assert_charts_sound(page, at_least=1)
    _open(page, demo["url"], f"/demarches/{demo['procedure'].pk}/")
    assert_charts_sound(page, at_least=1)


def test_guichet_reporting_charts_are_drawn_in_french(page: Any, demo: dict[str, Any]) -> None:
    sign_in(page, demo["url"], "expert@demo.dlnuf.fr", DEMO_PASSWORD)
    _open(page, demo["url"], "/guichet/pilotage/")
    assert_charts_sound(page, at_least=2)
    text = page.inner_text("main")
    # Two closed missions of the demonstration, rated 4 and 5: the caption names both bars
    # rather than calling a count of answers a "value".
    assert "les plus hautes, à 1 chacune : « 4 sur 5 » et « 5 sur 5 »" in text
