# The part of django-fsm-2 the project uses, for mypy (mypy.ini: mypy_path). The package's own
# annotations make its model mixins Any under the django-stubs plugin, and with them every model
# built on them (Petition, Meeting), which would leave the workflows unchecked.
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import models

_F = TypeVar("_F", bound=Callable[..., Any])

class TransitionNotAllowed(Exception): ...
class ConcurrentTransition(Exception): ...
class FSMModelMixin: ...
class ConcurrentTransitionMixin(FSMModelMixin): ...

class FSMField(models.CharField[str, str]):
    def __init__(self, *args: Any, protected: bool = ..., **kwargs: Any) -> None: ...

def transition(
    field: Any,
    source: Any = ...,
    target: Any = ...,
    on_error: Any = ...,
    conditions: Sequence[Callable[[Any], bool]] = ...,
    permission: Any = ...,
    custom: dict[str, Any] = ...,
) -> Callable[[_F], _F]: ...
def can_proceed(bound_method: Any, check_conditions: bool = ...) -> bool: ...
def has_transition_perm(bound_method: Any, user: Any) -> bool: ...
