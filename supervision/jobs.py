"""The periodic jobs, each a function of the day it runs for; tasks and commands call these."""

from __future__ import annotations

from datetime import date

from supervision import reminders, sweep, workflow


def daily(on: date) -> dict:
    """Every morning: digests on working days, and close out settled key items."""
    return {
        "digests": reminders.send_daily_digests(on),
        "closed_keys": workflow.close_settled(on),
    }


def thursday(on: date) -> dict:
    return reminders.send_progress_reminders(on)


def monthly_sweep(on: date) -> dict:
    result = sweep.run_monthly_sweep(on)
    if result is None:
        return {"skipped": "not due or already ran"}
    return {
        "month": f"{result.month:%Y-%m}",
        "items": result.item_count,
        "proposed": result.proposed_count,
    }
