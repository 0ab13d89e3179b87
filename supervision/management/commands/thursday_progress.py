from supervision import jobs
from supervision.management.commands._base import JobCommand, describe_run


class Command(JobCommand):
    help = (
        "Send the Thursday progress-report reminders (resuming a run that did not finish, "
        "late within the same week)."
    )
    job = staticmethod(jobs.thursday)

    def describe(self, result: dict) -> str:
        return describe_run("Thursday progress reminder", result)
