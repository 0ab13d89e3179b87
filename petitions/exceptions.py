from django.core.exceptions import ValidationError


class WorkflowError(ValidationError):
    """A business rule refused an action; the message is for the person who tried it.

    A ValidationError, so a view can put it on the form that asked for the action.
    """
