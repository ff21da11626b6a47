"""The team's decision pages under ``/-/vocmine``: link suggestions, topics, entries.

Each page is a GET that lists and a POST that decides. A POST needs the ``vocmine-edit``
permission (root, or an actor in the plugin's ``editors``) and Datasette's CSRF token (its
asgi-csrf middleware refuses a POST without one before it reaches us), and calls the same
``Workspace`` method as the CLI command does, so the decision is stored exactly as the CLI stores
it (``links.decided_by`` records ``serve:ACTOR``). The work runs in a thread, off the server's
event loop. Customer text on these pages is the redacted text, escaped by Jinja.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Callable
from urllib.parse import urlencode

from datasette import Forbidden, NotFound, Response

from vocmine.cli.datasette.common import EDIT, forget_labels, workspaces
from vocmine.core.errors import VocmineError


def _open(path: str) -> Any:
    from vocmine.workspace import Workspace

    return Workspace(path, create=False)


async def _run(path: str, fn: Callable[[Any], Any]) -> Any:
    """Run ``fn(workspace)`` in a thread with the workspace at ``path`` open, then close it."""

    def work() -> Any:
        ws = _open(path)
        try:
            return fn(ws)
        finally:
            ws.close()

    return await asyncio.to_thread(work)


def _workspace(datasette: Any, request: Any) -> tuple[str, str]:
    name = request.url_vars["database"]
    path = workspaces(datasette).get(name)
    if path is None:
        raise NotFound(f"{name!r} is not a vocmine workspace served here")
    return name, path


async def _can_edit(datasette: Any, request: Any) -> bool:
    return bool(await datasette.permission_allowed(request.actor, EDIT, default=False))


async def _render(datasette: Any, request: Any, template: str, **context: Any) -> Response:
    context.setdefault("can_edit", await _can_edit(datasette, request))
    context.setdefault("actor_id", (request.actor or {}).get("id"))
    return Response.html(await datasette.render_template(template, context, request=request))


async def _decide(datasette: Any, request: Any, path: str, action: Callable[[Any, dict[str, str], str], str]) -> Response:
    """Check the permission, run ``action(ws, form, actor)`` and go back to the page with its message."""
    if not await _can_edit(datasette, request):
        raise Forbidden("changing the workspace needs the vocmine-edit permission: sign in as root "
                        "(vocmine serve prints the link) or be listed in the plugin's editors")
    form = dict(await request.post_vars())
    actor = str((request.actor or {}).get("id"))
    try:
        message = await _run(path, lambda ws: action(ws, form, actor))
        datasette.add_message(request, message, datasette.INFO)
    except (VocmineError, ValueError, KeyError) as e:
        datasette.add_message(request, f"not done: {e}", datasette.ERROR)
    forget_labels()
    back = request.path + (f"?{urlencode({'status': form['back_status']})}" if form.get("back_status") else "")
    return Response.redirect(back, status=303)


# -- index ----------------------------------------------------------------------------------------

async def index(datasette: Any, request: Any) -> Response:
    found = []
    for name, path in workspaces(datasette).items():
        def counts(ws: Any) -> dict[str, int]:
            conn = ws.db.conn
            one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
            return {"suggested": one("select count(*) from links where status = 'suggested'"),
                    "topics": one("select count(*) from topics where status = 'active'"),
                    "drafts": one("select count(*) from changes where status = 'draft'")}
        found.append({"name": name, "counts": await _run(path, counts)})
    return await _render(datasette, request, "vocmine_index.html", workspaces=found)


# -- links ----------------------------------------------------------------------------------------

def _links_rows(ws: Any, status: str) -> list[dict[str, Any]]:
    df = ws.links(status if status != "all" else None)
    tickets = {key: (title, status, release) for key, title, status, release in ws.db.conn.execute(
        "select key, title, status, release from tickets").fetchall()} if len(df) else {}
    rows = []
    for r in df.to_dict(orient="records"):
        r["ticket_title"], r["ticket_status"], r["ticket_release"] = tickets.get(r["ticket"], ("", "", ""))
        r["value"] = f"{r['target_type']}:{r['target_id']}"
        rows.append(r)
    return rows


async def links_page(datasette: Any, request: Any) -> Response:
    name, path = _workspace(datasette, request)
    if request.method == "POST":
        def decide(ws: Any, form: dict[str, str], actor: str) -> str:
            decision = form.get("decision")
            if decision not in ("accept", "reject"):
                raise ValueError(f"unknown decision {decision!r}; available: accept, reject")
            fn = ws.accept_link if decision == "accept" else ws.reject_link
            link = fn(form["ticket"], form["target"], by=f"serve:{actor}")
            return f"{form['ticket']} \u2192 {form['target']}: {link['status']}"
        return await _decide(datasette, request, path, decide)
    status = request.args.get("status") or "suggested"
    if status not in ("suggested", "accepted", "rejected", "all"):
        status = "suggested"
    rows = await _run(path, lambda ws: _links_rows(ws, status))
    return await _render(datasette, request, "vocmine_links.html", database=name, rows=rows, status=status,
                         statuses=("suggested", "accepted", "rejected", "all"))


# -- topics ---------------------------------------------------------------------------------------

def _ids(text: str) -> list[int]:
    try:
        return [int(x) for x in text.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"topic ids are numbers, got {text!r}") from None


def _topic_action(ws: Any, form: dict[str, str], actor: str) -> str:
    action = form.get("action")
    if action == "rename":
        tid, label = int(form["topic"]), form.get("label", "").strip()
        if not label:
            raise ValueError("a new label cannot be empty")
        ws.rename_topic(tid, label, form.get("lang") or None)
        return f"topic {tid} renamed to {label!r}"
    if action == "merge":
        target, sources = int(form["target"]), _ids(form.get("sources", ""))
        if not sources:
            raise ValueError("name the topics to merge into the target")
        ws.merge_topics(target, *sources)
        return f"merged {', '.join(map(str, sources))} into topic {target}"
    if action == "split":
        tid = int(form["topic"])
        parts = int(form["parts"]) if form.get("parts") else None
        made = ws.split_topic(tid, parts)
        return f"topic {tid} split into {', '.join(str(t['id']) for t in made)}"
    raise ValueError(f"unknown action {action!r}; available: rename, merge, split")


async def topics_page(datasette: Any, request: Any) -> Response:
    name, path = _workspace(datasette, request)
    if request.method == "POST":
        return await _decide(datasette, request, path, _topic_action)
    lang = request.args.get("lang") or None

    def rows(ws: Any) -> list[dict[str, Any]]:
        df = ws.topics(lang=lang)
        out = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}  # NaN: none
               for r in df.to_dict(orient="records")]
        for r in out:
            r["keywords"] = ", ".join(r.get("keywords") or [])[:120]
        return out

    return await _render(datasette, request, "vocmine_topics.html", database=name, rows=await _run(path, rows),
                         lang=lang)


# -- entries --------------------------------------------------------------------------------------

def _entry_action(ws: Any, form: dict[str, str], actor: str) -> str:
    action = form.get("action")
    if action == "build":
        made = ws.build_entries()
        return f"{len(made)} entries built or refreshed from the accepted links of shipped tickets"
    if action == "approve":
        entry = ws.edit_entry(form["entry"], approve=True)
        return f"entry {entry.get('slug') or form['entry']} approved: the next vocmine publish shows it"
    if action == "edit":
        wording = {k: form[k] for k in ("title_en", "title_ko", "did_en", "did_ko") if form.get(k, "").strip()}
        if not wording:
            raise ValueError("nothing to change")
        ws.edit_entry(form["entry"], **wording)
        return f"entry {form['entry']}: {', '.join(wording)} changed"
    raise ValueError(f"unknown action {action!r}; available: build, approve, edit")


async def entries_page(datasette: Any, request: Any) -> Response:
    name, path = _workspace(datasette, request)
    if request.method == "POST":
        return await _decide(datasette, request, path, _entry_action)

    def rows(ws: Any) -> list[dict[str, Any]]:
        out = [dict(e) for e in ws.entries()]
        for e in out:
            e["said_json"] = json.dumps(e.get("said") or {}, ensure_ascii=False)
        return out

    return await _render(datasette, request, "vocmine_entries.html", database=name, rows=await _run(path, rows))


ROUTES = [
    (r"^/-/vocmine$", index),
    (r"^/-/vocmine/(?P<database>[^/]+)/links$", links_page),
    (r"^/-/vocmine/(?P<database>[^/]+)/topics$", topics_page),
    (r"^/-/vocmine/(?P<database>[^/]+)/entries$", entries_page),
]
