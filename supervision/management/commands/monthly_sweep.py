from supervision import jobs
from supervision.management.commands._base import JobCommand


class Command(JobCommand):
    help = "Run the monthly sweep (on the 25th or the next working day)."
    job = staticmethod(jobs.monthly_sweep)
