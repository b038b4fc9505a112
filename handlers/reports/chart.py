"""The /summary chart: K1, K3 and coverage against their targets and trajectory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from handlers.catalog import t
from handlers.reports.formatting import day_text, percent_text, target_text
from handlers.targets import Indicator, Status, Targets, evaluate
from storage.kpis import Kpis

_STATUS_COLOURS = {
    Status.MET: "#2e7d32",
    Status.ON_TRACK: "#f9a825",
    Status.BEHIND: "#c62828",
    Status.NO_DATA: "#9e9e9e",
    Status.NO_TARGET: "#1565c0",
}
_HALF_BAR = 0.38


def summary_chart(
    kpis: Kpis,
    targets: Targets,
    path: Path,
    *,
    language: str = "vi",
    as_of: date | None = None,
) -> Path:
    """A PNG bar chart of K1, K3 and coverage against their targets and trajectory.

    Headless: the Agg backend is chosen explicitly, and pyplot (global state, not
    thread-safe) is not used at all, so this may run in a worker thread.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    as_of = as_of or date(kpis.scope.year, 12, 31)
    by_id = {indicator.id: indicator for indicator in evaluate(kpis, targets, as_of)}
    shown = [by_id["k1"], by_id["k3"], by_id["coverage"]]
    figure = Figure(figsize=(7.0, 4.2), dpi=120)
    axes = figure.subplots()
    positions = list(range(len(shown)))
    bars = axes.bar(
        positions,
        [(indicator.value or 0.0) * 100 for indicator in shown],
        width=0.55,
        color=[_STATUS_COLOURS[indicator.status] for indicator in shown],
        label=t(language, "rep_chart_result"),
    )
    axes.bar_label(bars, labels=[percent_text(i.value, language) for i in shown], padding=3)
    _target_marks(axes, shown, language, as_of)
    axes.set_xticks(positions, [t(language, f"rep_chart_{i.id}") for i in shown])
    axes.set_ylim(0, 115)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent_text(v / 100, language)))
    axes.set_title(t(language, "rep_chart_title", year=kpis.scope.year))
    axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _shows_expected(indicator: Indicator) -> bool:
    """The straight line's point is drawn where it differs from the target."""
    return (
        indicator.expected is not None
        and indicator.status != Status.NO_DATA
        and indicator.target is not None
        and abs(indicator.expected - indicator.target.value) > 0.005
    )


def _target_marks(axes, shown: list[Indicator], language: str, as_of: date) -> None:
    """A solid line at each target, a dashed one where the trajectory stands today;
    each labelled once in the legend."""
    labels = {
        "target": t(language, "rep_chart_target"),
        "expected": t(language, "rep_chart_expected", date=day_text(as_of)),
    }

    def mark(x: float, share: float, which: str, **style) -> None:
        label = labels.pop(which, None)
        axes.hlines(share * 100, x - _HALF_BAR, x + _HALF_BAR, label=label, **style)

    for x, indicator in enumerate(shown):
        target = indicator.target
        if target is not None:
            mark(x, target.value, "target", colors="black", linewidth=2.5)
            axes.annotate(
                f"{target_text(target, 'ratio', language)} ({target.year})",
                (x + 0.4, target.value * 100),
                va="center",
                fontsize=8,
            )
        if _shows_expected(indicator):
            mark(
                x,
                indicator.expected,
                "expected",
                colors="#555555",
                linestyles="dashed",
                linewidth=1.5,
            )
