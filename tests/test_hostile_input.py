"""Hostile input never gives a server error, on any page of any audience (issue 10).

The pages come from the URL resolver, not from a hand list, so a new page is covered as soon as it
is routed: every named route is filled with ids of real objects (petitions in each state, a
meeting with topics and decisions, a sweep, a key supervision item, a notification), fetched by the
audiences its namespace serves, and every form and filter link on the pages found is collected from
the HTML. Hypothesis then sends generated hostile values -- NUL and other control characters, lone
surrogates, huge strings, dates at the ends of the calendar, huge and negative numbers, ids that are
not numbers, SQL and HTML metacharacters -- into each field, the others keeping the page's own
values so that a request can get past the form into the workflow. 5xx fails and prints the request;
a refused POST (4xx) must not have written a row.

Each Hypothesis example runs inside a savepoint that is rolled back, so every example starts from
the same scene. PDF routes are fetched once but not fuzzed: they read nothing but the path, and
rendering them is slow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings import workflow as meetings_workflow
from meetings.models import CatalogueItem, Meeting, MeetingEvaluation, MeetingKind, Topic
from notices import sender
from petitions import workflow
from petitions.models import (
    Attachment,
    ContactRecord,
    Enterprise,
    Evaluation,
    Extension,
    Notification,
    OrgUnit,
    Petition,
    PetitionEvent,
    Reply,
    User,
)
from supervision.models import KeyFollowUp, KeySupervision, Sweep, SweepItem
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=SH)  # a Thursday; 2026's calendar is confirmed
MEETING_DAY = date(2026, 12, 10)

# Rows a refused request must not have added or removed.
WATCHED = [
    Petition,
    PetitionEvent,
    Attachment,
    ContactRecord,
    Reply,
    Evaluation,
    Extension,
    Notification,
    Enterprise,
    User,
    OrgUnit,
    Meeting,
    Topic,
    CatalogueItem,
    MeetingEvaluation,
    KeySupervision,
    KeyFollowUp,
]

# Which audiences a namespace serves; a route in no listed namespace is fetched by everyone.
AUDIENCES = {
    "portal": ["firm"],
    "handler": ["handler", "co_handler"],
    "staff": ["staff", "leader"],
    "supervision": ["supervisor", "staff"],
    "meetings": ["staff", "leader", "firm"],
    "admin": ["superuser", "staff"],
}
EVERYONE = ["firm", "handler", "staff", "leader", "supervisor", "superuser", "anonymous"]
# Leaving these would end the audience's session for the rest of the example.
SKIPPED_ROUTES = {"logout", "admin:logout", "admin:view_on_site"}
# Django's own admin pages that take no input of ours: the history and delete confirmations.
SKIPPED_SUFFIXES = (".pdf", "_history", "_delete")


# --- the scene -------------------------------------------------------------------------------------


@dataclass
class Scene:
    users: dict[str, User | None]
    ids: dict[str, list[int]] = field(default_factory=dict)  # route segment -> candidate pks


def _meetings(world) -> dict[str, list[int]]:
    def plan(title: str) -> Meeting:
        return meetings_workflow.plan(
            actor=world.staff,
            jurisdiction=world.city,
            kind=MeetingKind.FACE_TO_FACE,
            title=title,
            date=MEETING_DAY,
            chair=world.leader,
            leaders=[world.leader],
            departments=[world.dept, world.other_dept],
            firms=[world.firm],
        )

    def topic(meeting: Meeting, problem: str) -> Topic:
        return meetings_workflow.add_topic(
            meeting_id=meeting.pk,
            actor=world.staff,
            problem=problem,
            enterprise=world.firm,
            person_in_charge="张总",
            phone="13800138000",
        )

    planned = plan("第四季度政企面对面")
    pending = topic(planned, "园区道路未通，货车无法进出")
    firm_topic = meetings_workflow.submit_topic_by_firm(
        actor=world.firm_user, person_in_charge="张总", phone="13800138000", problem="融资难"
    )
    held = plan("第四季度政企恳谈会")
    for problem in ("园区道路未通", "贷款审批慢"):
        meetings_workflow.verify_topic(
            topic_id=topic(held, problem).pk,
            actor=world.staff,
            keep=True,
            note="已核实",
            opinion="由市工信局牵头解决",
            lead_unit=world.dept,
            co_units=[world.other_dept],
        )
    meetings_workflow.draft_catalogue(meeting_id=held.pk, actor=world.staff)
    meetings_workflow.submit_catalogue(meeting_id=held.pk, actor=world.staff)
    meetings_workflow.approve_catalogue(meeting_id=held.pk, actor=world.leader)
    meetings_workflow.issue_notice(meeting_id=held.pk, actor=world.staff)
    meetings_workflow.hold(meeting_id=held.pk, actor=world.staff)
    items = list(held.items.order_by("number").values_list("pk", flat=True))
    return {
        "meetings": [planned.pk, held.pk],
        "topics": [pending.pk, firm_topic.pk],
        "items": items,
    }


@pytest.fixture
def scene(world, time_machine, django_user_model) -> Scene:
    time_machine.move_to(NOW, tick=False)
    states = [
        flow.registered(world),
        flow.accepted(world),
        flow.returned(world),
        flow.confirmed(world, co_units=[world.other_dept]),
        flow.awaiting_approval(world),
        flow.assigned(world, co_units=[world.other_dept]),
        flow.in_progress(world),
        flow.replied(world),
        flow.concluded(world),
    ]
    in_progress = states[6]
    extension = workflow.request_extension(
        petition_id=in_progress.pk, actor=world.handler, reason="需协调多部门", amount=10
    )
    sender.deliver_due()  # the notices are sent and in the delivery log
    sweep = Sweep.objects.create(month=date(2026, 10, 1), run_on=date(2026, 10, 26))
    SweepItem.objects.create(
        sweep=sweep,
        petition=in_progress,
        jurisdiction=world.city,
        lead_unit=world.dept,
        state=in_progress.state,
        due_on=date(2026, 10, 20),
        working_days_overdue=4,
        proposed_for_key=True,
    )
    key = KeySupervision.objects.create(petition=in_progress, sweep=sweep, reasons="逾期")
    superuser = django_user_model.objects.create_superuser("root", "root@example.gov.cn", "x")
    # The task force also keeps reference data in the admin.
    world.staff.is_staff = True
    world.staff.save(update_fields=["is_staff"])
    world.staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["petitions", "meetings"])
    )
    ids = {
        "petitions": [p.pk for p in states],
        "extensions": [extension.pk],
        "notifications": list(Notification.objects.values_list("pk", flat=True)[:2]),
        "files": list(Attachment.objects.values_list("pk", flat=True)[:1]) or [1],
        "sweeps": [sweep.pk],
        "keys": [key.pk],
        **_meetings(world),
    }
    users = {
        "firm": world.firm_user,
        "handler": world.handler,
        "co_handler": world.other_handler,
        "staff": world.staff,
        "leader": world.leader,
        "supervisor": world.supervisor,
        "superuser": superuser,
        "anonymous": None,
    }
    return Scene(users=users, ids=ids)


# --- pages from the resolver -----------------------------------------------------------------------


@dataclass
class Route:
    name: str
    route: str
    keys: list[str]


def routes(resolver: URLResolver | None = None, prefix: str = "", ns: str = "") -> Iterator[Route]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{ns}:{entry.namespace}" if ns and entry.namespace else entry.namespace or ns
            yield from routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            keys = list(entry.pattern.regex.groupindex)
            name = f"{ns}:{entry.name}" if ns else entry.name
            yield Route(name=name, route=prefix + str(entry.pattern), keys=keys)


def _admin_object_ids() -> dict[str, str]:
    """admin:<app>_<model>_ -> the pk of one row of that model."""
    found = {}
    for model in admin.site._registry:
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        found[f"admin:{model._meta.app_label}_{model._meta.model_name}_"] = str(pk or 1)
    return found


def _segment_before(route: str, key: str) -> str:
    match = re.search(rf"([\w-]+)/<int:{key}>", route)
    if not match:
        return ""
    segment = match.group(1)
    # meetings/staff/<pk>/ and meetings/portal/<pk>/ are meetings.
    return "meetings" if segment in ("staff", "portal") else segment


def urls_for(route: Route, scene: Scene, admin_ids: dict[str, str]) -> list[str]:
    """The route filled with real ids; one URL per candidate object for a `pk`."""
    if route.name in SKIPPED_ROUTES or route.name.endswith(SKIPPED_SUFFIXES):
        return []
    fixed = {"year": 2026, "month": 10, "quarter": 3, "uidb64": "MQ", "token": "set-password"}
    fixed["app_label"] = "petitions"
    fixed["object_id"] = next(
        (pk for prefix, pk in admin_ids.items() if route.name.startswith(prefix)), "1"
    )
    candidates = [{}]
    for key in route.keys:
        if key in fixed:
            candidates = [{**c, key: fixed[key]} for c in candidates]
            continue
        segment = _segment_before(route.route, key)
        pks = scene.ids.get(segment) or sorted({i for v in scene.ids.values() for i in v[:1]})
        candidates = [{**c, key: pk} for c in candidates for pk in pks]
    found = []
    for kwargs in candidates:
        try:
            found.append(reverse(route.name, kwargs=kwargs))
        except NoReverseMatch:
            continue
    return found


def audiences_for(route: Route) -> list[str]:
    namespace = route.name.split(":")[0] if ":" in route.name else ""
    if route.name.startswith("meetings:portal"):
        return ["firm"]
    return AUDIENCES.get(namespace, EVERYONE)


# --- forms and filter links from the HTML ------------------------------------------------------------


@dataclass
class Form:
    audience: str
    method: str
    action: str
    fields: dict[str, list[str]]  # name -> the page's own values

    def key(self) -> tuple:
        """The same form on another petition's page is the same form."""
        path = re.sub(r"\d+", "#", urlsplit(self.action).path)
        return (self.audience, self.method, path, tuple(sorted(self.fields)))


class FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[tuple[str, str, dict[str, list[str]]]] = []
        self.links: dict[str, list[str]] = {}
        self._form: tuple[str, str, dict[str, list[str]]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            method = "post" if "hx-post" in a else a.get("method", "get").lower()
            action = urljoin(self.page, a.get("action") or a.get("hx-post") or self.page)
            self._form = (method, action, {})
            self.forms.append(self._form)
        elif tag == "a" and "href" in a:
            href = urlsplit(urljoin(self.page, a["href"]))
            if href.path == urlsplit(self.page).path and href.query:
                for name, value in parse_qsl(href.query, keep_blank_values=True):
                    self.links.setdefault(name, [value])
        elif self._form is None:
            return
        elif tag == "option" and self._select:
            values = self._form[2][self._select]
            if a.get("value") and (not values or "selected" in a):
                self._form[2][self._select] = [a["value"]]
        elif "name" not in a or a["name"] in self._form[2]:
            return  # the first of several checkboxes or radios of one name is enough
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            if kind not in ("file", "image", "reset") and (tag == "button" or kind != "submit"):
                self._form[2][a["name"]] = [a.get("value", "")]
        elif tag == "select":
            self._select = a["name"]
            self._form[2][a["name"]] = []
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form[2][a["name"]] = [""]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form:
            self._form[2][self._textarea] = [data.strip()]


def benign(name: str, values: list[str]) -> list[str]:
    """The page's own value, or a plausible one, so that the other fields pass the form."""
    if values and values[0]:
        return values
    if re.search(r"(^|_)(date|day|on|from|to)$", name):
        return ["2026-11-18"]
    if name.endswith("_at") or name.endswith("_at_0"):
        return ["2026-11-18T09:30"] if name.endswith("_at") else ["2026-11-18"]
    if name.endswith("_at_1"):
        return ["09:30:00"]
    if re.search(r"(start|end)$", name):
        return ["2026-10"]
    if "phone" in name or "mobile" in name:
        return ["13800138000"]
    if "amount" in name or "days" in name:
        return ["5"]
    return ["测试内容"]


# --- hostile values ------------------------------------------------------------------------------------

HOSTILE = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\ud800",  # a lone surrogate: sent as the bytes ED A0 80, which are not UTF-8
    "9999-12-31",
    "0001-01-01",
    "0001-01-01T00:00",
    "0001-01-01T00:00+14:00",
    "9999-12-31T23:59-14:00",
    "9999-12",
    "-1",
    "0",
    "99999999999999999999999",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "abc",
    "1 OR 1=1",
    "' OR '1'='1' --",
    '"><script>alert(1)</script>',
    "{{ 7*7 }}{% debug %}",
    "%s%n%x",
    "../../../../etc/passwd",
    "ZQ2026-000001\x00",
    "x" * 20_000,
    " ",
    "",
]
hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
    st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=5),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates().map(date.isoformat),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
)


def encode(pairs: list[tuple[str, str]]) -> str:
    """Form encoding that keeps lone surrogates (a browser could send any bytes)."""
    return urlencode(
        [(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in pairs]
    )


def counts() -> tuple[int, ...]:
    tables = [m._meta.db_table for m in WATCHED]
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


# --- the test --------------------------------------------------------------------------------------------


def clients_for(scene: Scene) -> dict[str, Client]:
    clients = {}
    for audience, user in scene.users.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        clients[audience] = client
    return clients


def discover(scene: Scene) -> tuple[list[Form], list[tuple[str, str]]]:
    """GET every routed page as each of its audiences: the forms and filter links found, and the
    pages themselves (audience, URL) for fuzzing their query strings."""
    clients = clients_for(scene)
    admin_ids = _admin_object_ids()
    forms: dict[tuple, Form] = {}
    pages = []
    skipped = {reverse(name) for name in SKIPPED_ROUTES if name != "admin:view_on_site"}
    for route in routes():
        if route.route.endswith(SKIPPED_SUFFIXES):
            continue
        for audience in audiences_for(route):
            for url in urls_for(route, scene, admin_ids):
                response = clients[audience].get(url)
                assert response.status_code < 500, f"GET {url} as {audience}"
                if response.status_code in (403, 405):
                    break  # not this audience's page, or POST only: the same for every object
                pages.append((audience, url))
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                parser = FormParser(url)
                parser.feed(response.content.decode(errors="replace"))
                found = [Form(audience, m, a, f) for m, a, f in parser.forms if f]
                if parser.links:
                    found.append(Form(audience, "get", url, parser.links))
                for form in found:
                    if urlsplit(form.action).path not in skipped:
                        forms.setdefault(form.key(), form)
    unique = {(a, re.sub(r"\d+", "#", url)): (a, url) for a, url in pages}
    return list(forms.values()), list(unique.values())


def send(client: Client, form: Form, values: dict[str, list[str]]):
    pairs = [(name, v) for name, vs in values.items() for v in vs]
    if form.method == "post":
        return client.post(
            form.action, data=encode(pairs), content_type="application/x-www-form-urlencoded"
        )
    return client.get(urlsplit(form.action).path + "?" + encode(pairs))


def submit(clients: dict[str, Client], form: Form, values: dict[str, list[str]], hostile) -> None:
    """One request; fails on 5xx, and on a refused POST that changed the number of rows."""
    before = counts() if form.method == "post" else None
    response = send(clients[form.audience], form, values)
    shown = {name: values[name][0][:80] for name in hostile}
    request = f"{form.method.upper()} {form.action} as {form.audience} with {shown!r}"
    assert response.status_code < 500, request
    if before is not None and 400 <= response.status_code < 500:
        assert counts() == before, f"refused but written: {request}"


# Names that views read from the query string without a form.
GENERIC = ["q", "page", "state", "status", "tab", "show", "download", "next", "o", "e", "p"]


def query(names: list[str], value: str) -> str:
    return encode([(name, value) for name in names])


@pytest.mark.slow
def test_hostile_input_never_gives_a_server_error_nor_a_write_on_refusal(scene):
    forms, pages = discover(scene)
    assert len(forms) > 100, "the scene should reach most pages' forms"

    # Every form and page once: each field its own hostile value, every field at once.
    with transaction.atomic():
        clients = clients_for(scene)
        for n, form in enumerate(forms):
            values = {name: [HOSTILE[(n + i) % len(HOSTILE)]] for i, name in enumerate(form.fields)}
            submit(clients, form, values, hostile=list(values))
        for n, (audience, url) in enumerate(pages):
            response = clients[audience].get(url + "?" + query(GENERIC, HOSTILE[n % len(HOSTILE)]))
            assert response.status_code < 500, f"GET {url} as {audience}"
        transaction.set_rollback(True)

    # Then Hypothesis: one to three fields hostile, the others keeping the page's own values, so
    # that the request gets past the form into the workflow.
    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        with transaction.atomic():
            clients = clients_for(scene)
            for form in data.draw(st.lists(st.sampled_from(forms), min_size=1, max_size=8)):
                values = {name: benign(name, vs) for name, vs in form.fields.items()}
                names = sorted(n for n in form.fields if not n.startswith("csrf")) or list(
                    form.fields
                )
                chosen = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=3))
                for name in chosen:
                    values[name] = [data.draw(hostile_values)]
                submit(clients, form, values, hostile=chosen)
            for audience, url in data.draw(st.lists(st.sampled_from(pages), max_size=3)):
                value = data.draw(hostile_values)
                response = clients[audience].get(url + "?" + query(GENERIC, value))
                assert response.status_code < 500, f"GET {url}?{GENERIC}={value[:80]!r}"
            transaction.set_rollback(True)

    probe()
