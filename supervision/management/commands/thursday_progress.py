from supervision import jobs
from supervision.management.commands._base import JobCommand


class Command(JobCommand):
    help = "Send the Thursday progress-report reminders."
    job = staticmethod(jobs.thursday)
