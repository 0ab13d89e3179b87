from django.core.management.base import BaseCommand

from petitions import notify
from petitions.tasks import send_event_notice


class Command(BaseCommand):
    help = "Queue again the notices that could not be queued (e.g. while the broker was down)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"queued {notify.flush_pending(send_event_notice)}")
