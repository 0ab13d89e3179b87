"""The notice settings form: one checkbox per (kind of notice, channel) a person hears by.

Checked means "send it"; the workflow-side rule of what may be turned off lives in
notices/actions.py (docs/conventions.md C6). Mandatory kinds are disabled fields, so a crafted POST
cannot change them: Django ignores the posted value of a disabled field and keeps the initial one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.actions import OPTIONAL_CHANNELS, kinds_of
from notices.catalogue import Kind
from notices.models import Channel
from petitions.models import User
from zqztc.forms import Form


def field_name(kind: Kind, channel: str) -> str:
    return f"{kind.code}:{channel}"


@dataclass(frozen=True)
class Row:
    """One line of the table: the kind and, per optional channel, its checkbox or None (not sent so)."""

    kind: Kind
    cells: list[tuple[str, forms.BoundField | None]]


class SettingsForm(Form):
    def __init__(self, *args: object, user: User, off: set[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.kinds = kinds_of(user)
        channel_names = dict(Channel.choices)
        for kind in self.kinds:
            for channel in OPTIONAL_CHANNELS:
                if channel not in kind.channels:
                    continue
                self.fields[field_name(kind, channel)] = forms.BooleanField(
                    label=_("%(notice)s by %(channel)s")
                    % {"notice": kind.label, "channel": channel_names[channel]},
                    required=False,
                    initial=kind.mandatory or (kind.code, channel) not in off,
                    disabled=kind.mandatory,
                )

    def rows(self) -> list[Row]:
        return [
            Row(
                kind,
                [
                    (
                        channel,
                        self[field_name(kind, channel)] if channel in kind.channels else None,
                    )
                    for channel in OPTIONAL_CHANNELS
                ],
            )
            for kind in self.kinds
        ]

    def turned_off(self) -> set[tuple[str, str]]:
        """The (kind, channel) pairs left unchecked, mandatory ones never among them."""
        return {
            (kind.code, channel)
            for kind in self.kinds
            if not kind.mandatory
            for channel in OPTIONAL_CHANNELS
            if channel in kind.channels and not self.cleaned_data[field_name(kind, channel)]
        }
