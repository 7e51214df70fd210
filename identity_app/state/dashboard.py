"""An application's dashboard: one use case (services/sessions/stats.py) for the chosen range, its
figures turned into the rows the charts draw. Counts and durations only, never a person.
The range is in the URL too (?days=7), so a reload keeps it and a view can be shared."""
from __future__ import annotations

import json

import reflex as rx

from identity_app import routes
from identity_app.services.sessions import stats
from identity_app.state.base import ConsoleState, PageFeedback


def duration(seconds: float | None) -> str:
    """'-', '45 s', '4 min 5 s', '2 h 10 min', '3 d 4 h'."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def _rows(dash: stats.Dashboard) -> dict:
    """What the page draws, as plain lists of dicts (the charts' data) and strings."""
    t, r = dash.times, dash.reviews
    return {
        "per_day": [{"day": d.day[5:], "Created": d.created, "Completed": d.completed, "Expired": d.expired}
                    for d in dash.per_day],
        "funnel": [{"step": s.label, "Sessions": s.count, "Dropped": s.dropped,
                    "share": f"{s.percent_of_first:g}%", "drop": f"{s.dropped:,} ({s.drop_percent:g}%)" if i else "-"}
                   for i, s in enumerate(dash.funnel)],
        "pass_rates": [{"check": p.label, "Approved": p.approved, "Rejected": p.rejected,
                        "Not available": p.not_available, "runs": p.done,
                        "rate": f"{p.pass_rate:g}%" if p.done else "-"} for p in dash.pass_rates],
        "time_buckets": [{"bucket": b.label, "Sessions": b.count} for b in t.buckets],
        "age_buckets": [{"bucket": b.label, "Reviews": b.count} for b in r.buckets],
        "totals": {"created": f"{dash.created:,}", "completed": f"{dash.completed:,}", "expired": f"{dash.expired:,}",
                   "median": duration(t.median_seconds), "p90": duration(t.p90_seconds),
                   "timed": f"{t.completed:,}", "waiting": f"{r.waiting:,}", "oldest": duration(r.oldest_seconds),
                   "median_age": duration(r.median_seconds),
                   "completion": f"{dash.funnel[-1].percent_of_first:g}%" if dash.funnel[0].count else "-"},
    }


EMPTY_TOTALS = {k: "-" for k in ("created", "completed", "expired", "median", "p90", "timed", "waiting", "oldest",
                                 "median_age", "completion")}


class DashboardState(PageFeedback, ConsoleState):
    app_id_value: int = 0
    application_name: str = ""
    days: str = "30"
    per_day: list[dict[str, str | int]] = []
    funnel: list[dict[str, str | int]] = []
    pass_rates: list[dict[str, str | int]] = []
    time_buckets: list[dict[str, str | int]] = []
    age_buckets: list[dict[str, str | int]] = []
    totals: dict[str, str] = EMPTY_TOTALS
    loaded: bool = False

    async def _refresh(self) -> None:
        app_id, days = self.app_id_value, int(self.days)
        done = await self._call(lambda w: stats.dashboard(w.db, actor=w.operator, application_id=app_id, days=days))
        if not done.ok:
            self.per_day = self.funnel = self.pass_rates = self.time_buckets = self.age_buckets = []
            self.totals, self.application_name, self.loaded = EMPTY_TOTALS, "", False
            return
        dash: stats.Dashboard = done.value
        rows = _rows(dash)
        self.application_name = dash.application_name
        self.per_day, self.funnel, self.pass_rates = rows["per_day"], rows["funnel"], rows["pass_rates"]
        self.time_buckets, self.age_buckets, self.totals = rows["time_buckets"], rows["age_buckets"], rows["totals"]
        self.loaded = True

    def _in_url(self):
        url = routes.application_dashboard_path(self.app_id_value) + ("" if self.days == "30" else f"?days={self.days}")
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    @rx.event
    async def load(self):
        self.app_id_value, self.error, self.notice = self._route_id("app_id"), "", ""
        given = str(self.router.page.params.get("days", ""))
        self.days = given if given in {str(d) for d in stats.RANGES} else "30"
        await self._refresh()

    @rx.event
    async def set_days(self, value: str | list[str]):
        value = value if isinstance(value, str) else (value[0] if value else "")
        if value in {str(d) for d in stats.RANGES}:
            self.days = value
            await self._refresh()
            return self._in_url()
