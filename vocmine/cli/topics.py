"""CLI for topics and the taxonomy: ``vocmine topics [update|show|rename|merge|split]``,
``vocmine taxonomy [suggest|accept]``. Each command calls one Workspace method and prints."""
from __future__ import annotations

import math
import sys

import click

from vocmine.cli.main import _check_slice, _echo_json, _workspace


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else "new"
    return value


def _item(ws, row: dict, n_examples: int = 3, **slice_: str | None) -> dict:
    from vocmine.decide.topics import examples

    out = {k: _clean(v) for k, v in row.items()}
    if out.get("parent_id") is not None:
        out["parent_id"] = int(out["parent_id"])
    out["examples"] = examples(ws, int(row["id"]), n_examples, **slice_)
    return out


@click.group(invoke_without_command=True)
@click.option("--lang", type=click.Choice(["en", "ko"]), help="Only topics in this language.")
@click.option("--limit", default=20, show_default=True, help="Show at most this many topics (0: all).")
@click.option("--include-merged", is_flag=True, help="Also list topics merged into others.")
@click.option("--product", help="Only this product (sizes, customers, trends and examples count it alone).")
@click.option("--source", help="Only this source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: id, label, language, category, size, examples...")
@click.pass_context
def topics(ctx: click.Context, lang: str | None, limit: int, include_merged: bool, product: str | None,
           source: str | None, as_json: bool) -> None:
    """List discovered topics, biggest first (run 'vocmine topics update' to find them)."""
    if ctx.invoked_subcommand:
        return
    ws = _workspace(ctx, create=False)
    if not _check_slice(ws, source, product) and not as_json:
        return
    df = ws.topics(lang=lang, include_merged=include_merged, limit=limit or None, product=product, source=source)
    if as_json:
        _echo_json([_item(ws, r, product=product, source=source) for r in df.to_dict(orient="records")])
        return
    if df.empty:
        click.echo("no topics yet; run 'vocmine analyze' then 'vocmine topics update'")
        return
    click.echo(f"{'id':>5}  {'lang':4} {'size':>5} {'cust':>5}  {'category':20} label")
    for r in df.to_dict(orient="records"):
        click.echo(f"{r['id']:>5}  {r['language']:4} {r['size']:>5} {r['customers']:>5}  "
                   f"{(r['category'] if isinstance(r['category'], str) else '-')[:20]:20} {r['label']}")


@topics.command("update")
@click.option("--refit", is_flag=True, help="Rediscover all topics; old ids map to new ones (topic_lineage).")
@click.option("--all-segments", is_flag=True, help="Build topics on all segments, not only complaints.")
@click.option("--embedder", metavar="NAME|PATH",
              help="Embedder name (minilm, minilm-torch, minilm-fp32, kiwi-lsa) or a local sentence-transformers folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def topics_update(ctx: click.Context, refit: bool, all_segments: bool, embedder: str | None, as_json: bool) -> None:
    """Embed new complaint segments, assign them to topics (ids stay), create topics only for new clusters."""
    ws = _workspace(ctx, create=False)
    quiet = ctx.obj["quiet"] or as_json
    from vocmine.cli.progress import Progress

    with Progress(sys.stderr, quiet=quiet) as prog:
        r = ws.update_topics(refit=refit, all_segments=all_segments, embedder=embedder,
                             progress=prog.counter("embedding"))
    if as_json:
        _echo_json(r)
    elif not ctx.obj["quiet"]:
        click.echo(f"{r['embedded']} embedded, {r['assigned']} placed, {r['new_topics']} new topics, "
                   f"{r['outliers']} outliers ({100 * r['outlier_share']:.1f}%); {r['topics']} topics")


@topics.command("show")
@click.argument("topic_id", type=int)
@click.option("--examples", "n", default=5, show_default=True, help="How many example quotes to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def topics_show(ctx: click.Context, topic_id: int, n: int, as_json: bool) -> None:
    """Show one topic: label, category, size, keywords and redacted example quotes."""
    ws = _workspace(ctx, create=False)
    t = ws.topic(topic_id).to_dict(n_examples=n)
    if as_json:
        _echo_json({k: _clean(v) for k, v in t.items()})
        return
    click.echo(f"#{t['id']} {t['label']}  ({t['language']}, {t['status']})")
    click.echo(f"category: {t['category'] or '-'}   parent: {t['parent'] or '-'}   size: {t['size']} segments, "
               f"{t['customers']} customers")
    if t["keywords"]:
        click.echo("keywords: " + ", ".join(t["keywords"]))
    for q in t["examples"]:
        click.echo(f"  “{q}”")


@topics.command("rename")
@click.argument("topic_id", type=int)
@click.argument("label")
@click.option("--lang", type=click.Choice(["en", "ko"]), help="The label's language (default: the topic's).")
@click.pass_context
def topics_rename(ctx: click.Context, topic_id: int, label: str, lang: str | None) -> None:
    """Rename a topic; the new label is kept through later runs and refits."""
    t = _workspace(ctx, create=False).rename_topic(topic_id, label, lang=lang)
    if not ctx.obj["quiet"]:
        click.echo(f"#{t['id']} is now {label!r}" + (f" ({lang})" if lang else ""))


@topics.command("merge")
@click.argument("target", type=int)
@click.argument("sources", type=int, nargs=-1, required=True)
@click.pass_context
def topics_merge(ctx: click.Context, target: int, sources: tuple[int, ...]) -> None:
    """Merge SOURCES into TARGET; the merge is kept through later runs and refits."""
    t = _workspace(ctx, create=False).merge_topics(target, *sources)
    if not ctx.obj["quiet"]:
        click.echo(f"merged {', '.join(map(str, sources))} into #{t['id']} {t['label']} ({t['size']} segments)")


@topics.command("split")
@click.argument("topic_id", type=int)
@click.option("--parts", type=int, help="How many parts (default: 2-4, whichever separates best).")
@click.pass_context
def topics_split(ctx: click.Context, topic_id: int, parts: int | None) -> None:
    """Split a topic by re-clustering its segments; the largest part keeps the id."""
    out = _workspace(ctx, create=False).split_topic(topic_id, parts)
    if not ctx.obj["quiet"]:
        for t in out:
            click.echo(f"#{t['id']} {t['label']} ({t['size']} segments)")


@click.group()
def taxonomy() -> None:
    """Taxonomy proposals: categories or keywords for topics the taxonomy misses."""


@taxonomy.command("suggest")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def taxonomy_suggest(ctx: click.Context, as_json: bool) -> None:
    """Propose new categories or keywords for topics that mostly fall in no category."""
    props = _workspace(ctx, create=False).suggest_taxonomy()
    if as_json:
        _echo_json(props)
        return
    if not props:
        click.echo("nothing to suggest: every topic sits mostly in a taxonomy category")
        return
    for p in props:
        what = (f"add keywords to {p['category']}" if p["action"] == "add_keywords"
                else f"new category {p['category']}")
        click.echo(f"{p['id']:>5}  {p['topic']} ({p['language']}, {p['size']}): {what}: {', '.join(p['keywords'])}")
    click.echo("accept with: vocmine taxonomy accept ID... [--file my-taxonomy.yaml]")


@taxonomy.command("accept")
@click.argument("ids", type=int, nargs=-1, required=True)
@click.option("--file", "file", type=click.Path(dir_okay=False),
              help="Taxonomy YAML to write (default: the workspace's copy, else taxonomy.yaml beside it).")
@click.pass_context
def taxonomy_accept(ctx: click.Context, ids: tuple[int, ...], file: str | None) -> None:
    """Write the suggestions for topic IDS into your taxonomy YAML and use it from now on."""
    r = _workspace(ctx, create=False).accept_taxonomy(*ids, file=file)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {len(r['accepted'])} change(s) to {r['file']} (version {r['version']}); "
                   "'vocmine topics update' re-categorises with it")


def register(cli: click.Group) -> None:
    """Add the topics and taxonomy commands to the main CLI."""
    cli.add_command(topics)
    cli.add_command(taxonomy)
