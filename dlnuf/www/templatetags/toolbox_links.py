from django import template

from dlnuf.toolbox.models import ToolReport
from dlnuf.www.toolbox_views.views import report_url

register = template.Library()


@register.filter
def toolbox_report_url(report: ToolReport) -> str:
    """The page of a toolbox report, whichever tool made it."""
    return report_url(report)
