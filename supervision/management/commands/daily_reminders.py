from supervision import jobs
from supervision.management.commands._base import JobCommand, describe_run


class Command(JobCommand):
    help = (
        "Send the daily deadline digests (resuming a run that did not finish, catching up missed "
        "days) and close out settled key items."
    )
    job = staticmethod(jobs.daily)

    def describe(self, result: dict) -> str:
        closed = result["closed_keys"]
        return (
            describe_run("Daily digest", result["digests"])
            + f"\nClosed {closed} key-supervision item{'s' if closed != 1 else ''} whose petition is settled."
        )
