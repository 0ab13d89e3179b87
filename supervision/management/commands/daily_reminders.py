from supervision import jobs
from supervision.management.commands._base import JobCommand


class Command(JobCommand):
    help = "Send the daily deadline digests and close out settled key items."
    job = staticmethod(jobs.daily)
