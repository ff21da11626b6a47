"""Conformance checks for plugin authors: does an implementation keep its role's contract?

Each ``check_*`` takes one implementation (and what it needs to run: a folder, a recipient),
exercises it the way vocmine does, and raises ``AssertionError`` with a message that says which
part of the contract broke. They return what they saw, so a test can look further::

    from vocmine.testing import check_tracker

    def test_my_tracker(my_server):
        tickets = check_tracker(MyTracker(url=my_server.url), registered_as="mytracker")
        assert tickets[0]["key"] == "MY-1"

vocmine runs the same checks over every registered implementation (tests/test_roles.py);
docs/plugins.md shows how to register one. The roles are ``vocmine.core.roles``.
"""
from __future__ import annotations

import email.message
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vocmine.core import plugins, roles
from vocmine.core.feedback import Feedback, Reject

# Entries as the publish stage hands them to a publisher (docs/publishing.md), after the gate.
SAMPLE_SITE: dict[str, Any] = {"company": "Acme Outdoor", "base_url": "https://example.com/changes/",
                               "title": {"en": "What we changed", "ko": "바뀐 점"}}
SAMPLE_ENTRIES: list[dict[str, Any]] = [
    {"id": 1, "slug": "acme-1-lighter-frame", "ticket": "ACME-1", "release": "2.4.0",
     "shipped_at": "2026-09-23T00:00:00Z", "status": "approved", "updated_at": "2026-09-30T08:00:00Z",
     "title": {"en": "A lighter backpack frame", "ko": "더 가벼워진 백팩 프레임"},
     "did": {"en": "We switched the frame to aluminium: 28% lighter.", "ko": "프레임을 알루미늄으로 바꿨습니다."},
     "said": {"en": {"phrase": "heavier than expected", "phrase_customers": 3, "linked_customers": 4,
                     "since": "2026-08-05", "quotes": ["Way heavier than expected for a daypack."]}},
     "evidence": {}},
    {"id": 2, "slug": "acme-2-stronger-zipper", "ticket": "ACME-2", "release": "2.5.0",
     "shipped_at": "2026-10-14T00:00:00Z", "status": "approved", "updated_at": "2026-10-20T00:00:00Z",
     "title": {"en": "Stronger zipper pulls", "ko": "더 튼튼한 지퍼 손잡이"},
     "did": {"en": "The zipper pulls are now metal.", "ko": "지퍼 손잡이를 금속으로 바꿨습니다."},
     "said": {"ko": {"phrase": "지퍼가 잘 부러진다", "customers": 2, "since": "2026-09-01",
                     "quotes": ["지퍼 손잡이가 두 번이나 부러졌어요."]}},
     "evidence": {}},
]
SAMPLE_TEXTS: list[str] = [
    "The battery life is far too short.", "Delivery was late again", "Love the colour",
    "배송이 너무 늦어요", "생각보다 무겁네요", "The battery life is far too short.",
]
# How close a text's vector alone must be to its vector within a batch: int8 models scale by the
# batch (measured: minilm 0.987, minilm-torch 0.953); an unstable embedder lands far below.
SAME_TEXT_COSINE = 0.9
# What a ticket record must carry (see vocmine.act.trackers): the rest is optional.
TICKET_FIELDS = ("key", "title", "status")


def _fail(what: Any, message: str) -> AssertionError:
    return AssertionError(f"{what!r}: {message}")


def check_role(impl: Any, role: str, registered_as: str | None = None) -> None:
    """Assert that ``impl`` has every member of ``role``'s protocol and a ``type`` (the registered name)."""
    proto = roles.ROLES[role]
    if not isinstance(impl, proto):
        members = sorted({*proto.__annotations__, *(m for m, v in vars(proto).items()
                                                     if callable(v) and not m.startswith("_"))})
        missing = [m for m in members if not hasattr(impl, m)]
        raise _fail(impl, f"is not a {role}: it lacks {', '.join(missing) or 'a member'} "
                          f"(a {role} has {', '.join(members)}; see vocmine.core.roles.{proto.__name__})")
    kind = getattr(impl, "type", None)
    if not isinstance(kind, str) or not kind:
        raise _fail(impl, f"'type' must be the non-empty name it is registered under, not {kind!r}")
    if registered_as is not None:
        if kind != registered_as:
            raise _fail(impl, f"'type' is {kind!r} but it is registered as {registered_as!r}")
        group = roles.GROUPS[role]
        if registered_as not in plugins.names(group):
            raise _fail(impl, f"{registered_as!r} is not registered in {group}; registered: "
                              f"{', '.join(plugins.names(group))}")


# -- sources -----------------------------------------------------------------------------------

def check_source(source: Any, *, registered_as: str | None = None, since: str | None = None,
                 workspace: str | Path | None = None) -> list[Feedback | Reject]:
    """Check a Source; return what its ``fetch(since)`` yielded.

    The contract: a ``name`` (stored with every row), ``fetch`` yields ``Feedback`` (with text) or
    ``Reject`` records and at least one Feedback, external ids are unique within one fetch, and
    two fetches give the same records. With ``workspace`` (a folder) the records are ingested
    twice into a new workspace there: the second time must store nothing new.
    """
    check_role(source, "source", registered_as)
    if not isinstance(source.name, str) or not source.name:
        raise _fail(source, f"'name' (stored with each row) must be a non-empty string, not {source.name!r}")

    def fetch() -> list[Feedback | Reject]:
        items = source.fetch(since)
        if not isinstance(items, Iterable):
            raise _fail(source, f"fetch() must return an iterable of Feedback/Reject, not {type(items).__name__}")
        out = list(items)
        for n, item in enumerate(out, start=1):
            if not isinstance(item, (Feedback, Reject)):
                raise _fail(source, f"fetch() item {n} is a {type(item).__name__}, not Feedback or Reject "
                                    "(vocmine.core.feedback)")
            if isinstance(item, Feedback) and (item.text is None or not str(item.text).strip()):
                raise _fail(source, f"fetch() item {n} is Feedback without text; yield a Reject for it instead")
        return out

    first = fetch()
    feedback = [f for f in first if isinstance(f, Feedback)]
    if not feedback:
        raise _fail(source, "fetch() yielded no Feedback: give the check a source with something to read")
    ids = [f.external_id for f in feedback if f.external_id not in (None, "")]
    dupes = sorted(str(i) for i, n in Counter(ids).items() if n > 1)
    if dupes:
        raise _fail(source, f"external ids repeat within one fetch: {', '.join(dupes[:5])}")
    second = fetch()
    key = [(f.external_id, str(f.text)) for f in feedback]
    again = [(f.external_id, str(f.text)) for f in second if isinstance(f, Feedback)]
    if sorted(key, key=repr) != sorted(again, key=repr):
        raise _fail(source, "a second fetch() gave other records than the first; re-reading must be stable "
                            "so that re-ingesting changes nothing")
    if workspace is not None:
        import vocmine

        with vocmine.open(Path(workspace) / "check_source.db") as ws:
            r1 = ws.ingest(source=source)
            r2 = ws.ingest(source=source)
        if r1.inserted < 1:
            raise _fail(source, f"ingesting stored nothing ({r1.as_dict()})")
        if r2.inserted or r2.updated:
            raise _fail(source, f"ingesting twice stored new rows the second time ({r2.as_dict()}): give "
                                "records a stable external id (or stable text)")
    return first


# -- embedders ---------------------------------------------------------------------------------

def check_embedder(embedder: Any, texts: Sequence[str] | None = None, *,
                   registered_as: str | None = None) -> Any:
    """Check an Embedder; return its vectors for ``texts`` (default ``SAMPLE_TEXTS``).

    The contract: a stable ``name``; ``embed(texts)`` returns a float32 array with one row per
    text, all rows of one width, each L2-normalised (or all zeros: a text it cannot place), the
    same text giving the same row. An embedder fitted on the workspace (``fit``/``state``/
    ``from_state``, like ``kiwi-lsa``) is fitted on ``texts`` first, and its state must restore
    an embedder that gives the same vectors.
    """
    import numpy as np

    check_role(embedder, "embedder", registered_as)
    texts = list(texts or SAMPLE_TEXTS)
    name = embedder.name
    if not isinstance(name, str) or not name:
        raise _fail(embedder, f"'name' (recorded with every cached vector) must be a non-empty string, not {name!r}")
    fitted = hasattr(embedder, "fit") and hasattr(embedder, "state") and hasattr(type(embedder), "from_state")
    if fitted and not getattr(embedder, "fitted", False):
        embedder.fit(texts)
    vecs = embedder.embed(texts)
    if not isinstance(vecs, np.ndarray):
        raise _fail(embedder, f"embed() must return a numpy array, not {type(vecs).__name__}")
    if vecs.dtype != np.float32:
        raise _fail(embedder, f"embed() must return float32 rows, not {vecs.dtype}")
    if vecs.ndim != 2 or vecs.shape[0] != len(texts) or vecs.shape[1] < 1:
        raise _fail(embedder, f"embed() of {len(texts)} texts must be {len(texts)} rows of one width, got "
                              f"shape {vecs.shape}")
    norms = np.linalg.norm(vecs, axis=1)
    bad = [i for i, n in enumerate(norms) if not (math.isclose(n, 1.0, abs_tol=1e-3) or n == 0.0)]
    if bad:
        raise _fail(embedder, f"embed() rows must be L2-normalised; row {bad[0]} ({texts[bad[0]]!r}) has norm "
                              f"{norms[bad[0]]:.4f}")
    if not (norms > 0).any():
        raise _fail(embedder, "embed() gave only zero rows")
    for i, t in enumerate(texts):
        j = texts.index(t)
        if j != i and not np.allclose(vecs[i], vecs[j], atol=1e-4):
            raise _fail(embedder, f"embed() gave two rows for the same text {t!r}")
    # Alone, a text may come out a little different (int8 scales depend on the batch), never far.
    again = embedder.embed(texts[:1])
    if float(again[0] @ vecs[0]) < SAME_TEXT_COSINE:
        raise _fail(embedder, f"embed() of {texts[0]!r} alone is far from its row in a batch (cosine "
                              f"{float(again[0] @ vecs[0]):.3f} < {SAME_TEXT_COSINE}); vectors are cached by name "
                              "and compared across runs, so they must not drift")
    if embedder.name != name:
        raise _fail(embedder, f"'name' changed from {name!r} to {embedder.name!r} while embedding")
    if len(embedder.embed([])) != 0:
        raise _fail(embedder, "embed([]) must return no rows")
    if fitted:
        restored = type(embedder).from_state(embedder.state())
        if not np.allclose(restored.embed(texts), vecs, atol=1e-4):
            raise _fail(embedder, "from_state(state()) gives other vectors than the fitted embedder")
    return vecs


# -- trackers ----------------------------------------------------------------------------------

def check_tracker(tracker: Any, *, since: str | None = None, registered_as: str | None = None,
                  expect_tickets: bool = True) -> list[dict[str, Any]]:
    """Check a Tracker; return the ticket records its ``pull(since)`` yielded.

    The contract: ``pull`` yields dict records with a non-empty ``key``, a ``title`` and a
    ``status`` in vocmine's one vocabulary (open, in_progress, done), keys unique, each record
    storable as it is (``vocmine.act.trackers.store.check_ticket`` finds no problem) and
    ``url(ticket)`` a string; ``params()``, when there, names no credential.
    """
    from vocmine.act.trackers.status import STATUSES
    from vocmine.act.trackers.store import check_ticket

    check_role(tracker, "tracker", registered_as)
    name = tracker.name
    if not isinstance(name, str) or not name:
        raise _fail(tracker, f"'name' (stored with each ticket) must be a non-empty string, not {name!r}")
    out = []
    for n, ticket in enumerate(tracker.pull(since), start=1):
        if not isinstance(ticket, Mapping):
            raise _fail(tracker, f"pull() item {n} is a {type(ticket).__name__}, not a dict ticket record")
        missing = [f for f in TICKET_FIELDS if ticket.get(f) in (None, "")]
        if missing:
            raise _fail(tracker, f"pull() ticket {ticket.get('key', n)!r} lacks {', '.join(missing)} "
                                 f"(every ticket has {', '.join(TICKET_FIELDS)})")
        if ticket["status"] not in STATUSES:
            raise _fail(tracker, f"ticket {ticket['key']!r} has status {ticket['status']!r}; a tracker gives "
                                 f"one of {', '.join(STATUSES)} (vocmine.act.trackers.normalise_status) and "
                                 "keeps its own word in tracker_status")
        _, problems = check_ticket(dict(ticket), name)
        if problems:
            raise _fail(tracker, f"ticket {ticket['key']!r} cannot be stored as it is: {'; '.join(problems)}")
        url = tracker.url(ticket)
        if not isinstance(url, str):
            raise _fail(tracker, f"url({ticket['key']!r}) must return a string, not {type(url).__name__}")
        out.append(dict(ticket))
    keys = [t["key"] for t in out]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise _fail(tracker, f"pull() yielded keys more than once: {', '.join(map(str, dupes[:5]))}")
    if expect_tickets and not out:
        raise _fail(tracker, "pull() yielded no tickets: give the check a tracker with something to read")
    if hasattr(tracker, "params"):
        params = tracker.params()
        words = ("token", "password", "secret", "api_key")
        leaked = [k for k in params if any(w in str(k).lower() for w in words)]
        if leaked:
            raise _fail(tracker, f"params() (logged and stored with each run) holds {', '.join(leaked)}")
    return out


# -- publishers --------------------------------------------------------------------------------

def check_publisher(publisher: Any, out_dir: str | Path, *, entries: Sequence[Mapping[str, Any]] | None = None,
                    registered_as: str | None = None, languages: Sequence[str] = ("en", "ko")) -> list[Path]:
    """Check a Publisher (an instance, or a class built as the publish stage builds it); return its files.

    The contract: ``publish(entries, out)`` returns the paths it wrote, every one an existing,
    non-empty file under ``out``; every entry's English title appears in what it wrote; publishing
    the same entries again into the same folder works and gives the same files, byte for byte.
    """
    if isinstance(publisher, type):
        publisher = publisher(SAMPLE_SITE, template_dir=None, languages=tuple(languages))
    check_role(publisher, "publisher", registered_as)
    entries = [dict(e) for e in (entries if entries is not None else SAMPLE_ENTRIES)]
    out = Path(out_dir)
    files = publisher.publish(entries, out)
    if not isinstance(files, list) or not files:
        raise _fail(publisher, f"publish() must return the list of paths it wrote, not {files!r}")
    root = out.resolve()
    texts = {}
    for f in files:
        p = Path(f)
        if not p.is_file():
            raise _fail(publisher, f"publish() says it wrote {p}, which is not a file")
        if root not in p.resolve().parents:
            raise _fail(publisher, f"publish() wrote {p}, outside its folder {out}")
        data = p.read_bytes()
        if not data:
            raise _fail(publisher, f"publish() wrote an empty file {p}")
        texts[p] = data
    written = b"\n".join(texts.values()).decode("utf-8", "replace")
    for e in entries:
        title = (e.get("title") or {}).get("en")
        if title and title not in written:
            raise _fail(publisher, f"publish() wrote nothing with entry {e.get('slug')!r}'s title {title!r}")
    again = publisher.publish([dict(e) for e in entries], out)
    if sorted(map(Path, again)) != sorted(texts):
        raise _fail(publisher, "publishing the same entries again gave other files")
    changed = [p for p in texts if p.read_bytes() != texts[p]]
    if changed:
        raise _fail(publisher, f"publishing the same entries again changed {changed[0]} (output must be "
                               "deterministic: nothing stamped with the current time)")
    return [Path(f) for f in files]


# -- notifiers ---------------------------------------------------------------------------------

def check_notifier(notifier: Any, to: str, *, received: Callable[[], Sequence[Any]] | None = None,
                   registered_as: str | None = None) -> None:
    """Check a Notifier by sending two messages to ``to``; ``received()`` lists what its service got.

    The contract: ``open()``; ``send(message, to, claim)`` calls ``claim`` exactly once before
    delivering, and when ``claim`` raises delivers nothing and lets the exception through (that
    is how a message goes out at most once when two runs race); ``close()``, twice if need be.
    With ``received``, the first message must have arrived and the refused one must not.
    """
    check_role(notifier, "notifier", registered_as)

    class _TakenElsewhere(Exception):
        pass

    def message(subject: str) -> email.message.EmailMessage:
        msg = email.message.EmailMessage()
        msg["From"] = "vocmine@example.com"
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{subject.replace(' ', '-')}@vocmine.test>"
        msg.set_content(f"{subject}: what we changed.")
        return msg

    before = len(received()) if received else 0
    notifier.open()
    try:
        claims: list[int] = []
        notifier.send(message("vocmine check one"), to, lambda: claims.append(1))
        if claims != [1]:
            raise _fail(notifier, f"send() called claim() {len(claims)} times; it must call it once, just "
                                  "before the message can reach the recipient")

        def refuse() -> None:
            claims.append(2)
            raise _TakenElsewhere()

        try:
            notifier.send(message("vocmine check refused"), to, refuse)
        except _TakenElsewhere:
            pass
        else:
            raise _fail(notifier, "send() swallowed the exception claim() raised; it must let it through")
        if claims != [1, 2]:
            raise _fail(notifier, "send() did not call claim() for the second message")
    finally:
        notifier.close()
    notifier.close()
    if received is not None:
        got = list(received())[before:]
        if len(got) != 1:
            raise _fail(notifier, f"the service received {len(got)} messages; 1 was sent and 1 refused by claim()")


def check_registered(group: str, name: str) -> Any:
    """Return the object registered as ``name`` in ``group``, asserting it loads."""
    try:
        return plugins.load(group, name)
    except Exception as exc:  # noqa: BLE001 - any import problem is the plugin's failure
        raise AssertionError(f"{group} {name!r} does not load: {type(exc).__name__}: {exc}") from exc


__all__ = ["check_role", "check_source", "check_embedder", "check_tracker", "check_publisher", "check_notifier",
           "check_registered", "SAMPLE_ENTRIES", "SAMPLE_SITE", "SAMPLE_TEXTS", "TICKET_FIELDS"]
