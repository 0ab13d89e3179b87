"""The charts of the statistics page and the reports: what static/js/charts.js draws (ECharts), and
the table each chart falls back to.

Pure reshaping of the figures `supervision.selectors.statistics` has already counted: no queries here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from supervision.selectors import UnitRate

MAX_SERIES = 10  # a stacked chart shows the largest series and puts the rest under "Other"
MAX_BARS = 20


@dataclass
class Chart:
    """What static/js/charts.js draws, and the table fallback shows."""

    id: str
    title: str
    kind: str  # "stacked" (bars per month), "bars" (horizontal totals), "rates" (percentages)
    categories: list[str]
    series: list[dict]

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "categories": self.categories,
            "series": self.series,
        }

    @property
    def data_id(self) -> str:
        return f"chart-data-{self.id}"

    @property
    def table(self) -> dict:
        """The accessible fallback: months as columns for stacked charts, else one row per bar."""
        if self.kind == "stacked":
            return {
                "head": self.categories,
                "rows": [(s["name"], s["data"]) for s in self.series],
            }
        return {
            "head": [s["name"] for s in self.series],
            "rows": [
                (category, [s["data"][i] for s in self.series])
                for i, category in enumerate(self.categories)
            ],
        }


def month_label(m: date) -> str:
    return f"{m:%Y-%m}"


def stacked(
    chart_id: str,
    title: str,
    counts: dict[tuple[date, object], int],
    months: list[date],
    names: dict,
) -> Chart:
    """Bars per month stacked by a dimension; the largest MAX_SERIES values, the rest as "Other"."""
    totals: dict[object, int] = defaultdict(int)
    for (_m, key), n in counts.items():
        totals[key] += n
    ordered = sorted(totals, key=lambda k: (-totals[k], str(names.get(k, k))))
    shown, rest = ordered[:MAX_SERIES], ordered[MAX_SERIES:]
    series = [
        {"name": str(names.get(k, k)), "data": [counts.get((m, k), 0) for m in months]}
        for k in shown
    ]
    if rest:
        series.append(
            {
                "name": str(_("Other")),
                "data": [sum(counts.get((m, k), 0) for k in rest) for m in months],
            }
        )
    return Chart(chart_id, title, "stacked", [month_label(m) for m in months], series)


def unit_bars(unit_totals: dict[int | None, int], units: dict) -> Chart:
    """Petitions per lead unit over the period, the MAX_BARS largest."""
    top = sorted(unit_totals, key=lambda u: (-unit_totals[u], units.get(u, "")))[:MAX_BARS]
    return Chart(
        "by-unit",
        str(_("Lead units in the period (largest %(n)d)") % {"n": MAX_BARS}),
        "bars",
        [units.get(u, "") for u in top],
        [{"name": str(_("Petitions")), "data": [unit_totals[u] for u in top]}],
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def unit_rates(rates: Sequence[UnitRate]) -> Chart:
    """The three rates of the MAX_BARS units that received most (`rates` comes sorted that way)."""
    shown = rates[:MAX_BARS]
    return Chart(
        "rates",
        str(_("Rates by lead unit (largest %(n)d)") % {"n": MAX_BARS}),
        "rates",
        [r.unit for r in shown],
        [
            {"name": str(_("Confirmed in time")), "data": [_float(r.confirm_rate) for r in shown]},
            {"name": str(_("Concluded in time")), "data": [_float(r.conclude_rate) for r in shown]},
            {"name": str(_("Satisfaction")), "data": [_float(r.satisfaction_rate) for r in shown]},
        ],
    )


def statistics_charts(
    dims: dict[str, dict],
    months: list[date],
    names: dict[str, dict],
    unit_totals: dict[int | None, int],
    rates: Iterable[UnitRate],
) -> list[Chart]:
    """Every chart of the statistics page, in page order: volumes per month by channel, type, theme,
    jurisdiction and lead unit; totals per lead unit; rates per lead unit."""
    return [
        stacked("by-channel", str(_("By channel")), dims["channel"], months, names["channel"]),
        stacked("by-type", str(_("By type")), dims["type"], months, names["type"]),
        stacked("by-theme", str(_("By theme")), dims["theme"], months, names["theme"]),
        stacked(
            "by-jurisdiction",
            str(_("By jurisdiction")),
            dims["jurisdiction"],
            months,
            names["unit"],
        ),
        stacked("by-unit-month", str(_("By lead unit")), dims["unit"], months, names["unit"]),
        unit_bars(unit_totals, names["unit"]),
        unit_rates(list(rates)),
    ]
