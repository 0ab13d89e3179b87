from django.core.management.base import BaseCommand

from notices import sender


class Command(BaseCommand):
    help = "Send the notices that are due (what the worker does every minute), e.g. while the broker is down."

    def add_arguments(self, parser):
        parser.add_argument("--budget", type=float, default=50.0, help="seconds to keep sending")

    def handle(self, *args, **options):
        outcome = sender.deliver_due(budget=options["budget"])
        self.stdout.write(
            f"sent {outcome['sent']}, failed {outcome['failed']}, skipped {outcome['skipped']}"
        )
