"""The /summary chart: K1, K3 and coverage against their targets and trajectory.

Each bar is coloured by its status, and the legend names every colour drawn. The
targets are written under their bars, in the bar's own column, so no two labels can
meet however close the figures are; the target and trajectory lines are in the legend.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from handlers.catalog import t
from handlers.reports.formatting import day_text, percent_text, target_text
from handlers.targets import Indicator, Status, Targets, evaluate
from storage.kpis import Kpis

STATUS_COLOURS = {
    Status.MET: "#2e7d32",
    Status.ON_TRACK: "#f9a825",
    Status.BEHIND: "#c62828",
    Status.NO_DATA: "#9e9e9e",
    Status.NO_TARGET: "#1565c0",
}
CHARTED = ("k1", "k3", "coverage")
_HALF_BAR = 0.38
# The status words of the indicator table, but for "no target" (there a dash).
_STATUS_WORDS = {Status.NO_TARGET: "rep_chart_no_target"}


def summary_chart(
    kpis: Kpis,
    targets: Targets,
    path: Path,
    *,
    language: str = "vi",
    as_of: date | None = None,
) -> Path:
    """A PNG bar chart of K1, K3 and coverage against their targets and trajectory."""
    figure = chart_figure(kpis, targets, language=language, as_of=as_of)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def chart_figure(kpis: Kpis, targets: Targets, *, language: str = "vi", as_of=None):
    """The chart as a matplotlib Figure (drawn by ``summary_chart``; read by tests).

    Headless: the Agg backend is chosen explicitly, and pyplot (global state, not
    thread-safe) is not used at all, so this may run in a worker thread.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    as_of = as_of or date(kpis.scope.year, 12, 31)
    by_id = {indicator.id: indicator for indicator in evaluate(kpis, targets, as_of)}
    shown = [by_id[key] for key in CHARTED]
    figure = Figure(figsize=(7.0, 4.6), dpi=120, layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(shown)))
    bars = axes.bar(
        positions,
        [(indicator.value or 0.0) * 100 for indicator in shown],
        width=0.55,
        color=[STATUS_COLOURS[indicator.status] for indicator in shown],
    )
    values = [percent_text(i.value, language) for i in shown]
    # On a white ground above the lines: a target just over the bar must not strike it.
    ground = {"facecolor": "white", "edgecolor": "none", "pad": 1.0}
    axes.bar_label(bars, labels=values, padding=3, bbox=ground, zorder=4)
    lines = _target_marks(axes, shown, language, as_of)
    axes.set_xticks(positions, [_tick_label(indicator, language) for indicator in shown])
    axes.tick_params(axis="x", labelsize=8)
    axes.set_ylim(0, 112)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent_text(v / 100, language)))
    axes.set_title(t(language, "rep_chart_title", year=kpis.scope.year))
    axes.spines[["top", "right"]].set_visible(False)
    handles = _status_patches(shown, language) + lines
    figure.legend(handles=handles, loc="outside lower center", fontsize=8, frameon=False, ncols=3)
    return figure


def _tick_label(indicator: Indicator, language: str) -> str:
    """The indicator's name and, on its own line, the target it is judged against."""
    name = t(language, f"rep_chart_{indicator.id}")
    target = indicator.target
    if target is None:
        return name
    shown = target_text(target, "ratio", language)
    return f"{name}\n{t(language, 'rep_chart_target_of', target=shown, year=target.year)}"


def _status_patches(shown: list[Indicator], language: str) -> list:
    """One legend entry per bar colour drawn, in the order of the statuses."""
    from matplotlib.patches import Patch

    drawn = {indicator.status for indicator in shown}
    return [
        Patch(
            facecolor=colour, label=t(language, _STATUS_WORDS.get(status, f"rep_status_{status}"))
        )
        for status, colour in STATUS_COLOURS.items()
        if status in drawn
    ]


def _shows_expected(indicator: Indicator) -> bool:
    """The straight line's point is drawn where it differs from the target."""
    return (
        indicator.expected is not None
        and indicator.status != Status.NO_DATA
        and indicator.target is not None
        and abs(indicator.expected - indicator.target.value) > 0.005
    )


def _target_marks(axes, shown: list[Indicator], language: str, as_of: date) -> list:
    """A solid line at each target, a dashed one where the trajectory stands today;
    returns one legend entry for each kind drawn."""
    handles = {}
    for x, indicator in enumerate(shown):
        span = (x - _HALF_BAR, x + _HALF_BAR)
        if indicator.target is not None:
            y = indicator.target.value * 100
            handles["target"] = axes.hlines(y, *span, colors="black", linewidth=2.5)
        if _shows_expected(indicator):
            y = indicator.expected * 100
            style = {"colors": "#555555", "linestyles": "dashed", "linewidth": 1.5}
            handles["expected"] = axes.hlines(y, *span, **style)
    labels = {
        "target": t(language, "rep_chart_target"),
        "expected": t(language, "rep_chart_expected", date=day_text(as_of)),
    }
    for key, handle in handles.items():
        handle.set_label(labels[key])
    return [handles[key] for key in labels if key in handles]
