"""CLI commands of the collectors: ``vocmine scrape`` and ``vocmine ingest reddit``."""
from __future__ import annotations

import sys

import click

from vocmine.cli.main import VocmineGroup, _echo_json, _workspace


class _Status:
    """A one-line progress display on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.width = 0

    def show(self, text: str) -> None:
        if self.enabled:
            click.echo("\r" + text.ljust(self.width), nl=False, err=True)
            self.width = len(text)

    def done(self) -> None:
        if self.enabled and self.width:
            click.echo("\r" + " " * self.width + "\r", nl=False, err=True)


@click.command()
@click.argument("urls", nargs=-1)
@click.option("--site", "site", type=click.Path(exists=True, dir_okay=False),
              help="YAML site config for pages without schema.org markup (selectors for text, rating, date...).")
@click.option("--max-pages", default=100, show_default=True, type=click.IntRange(min=1),
              help="Most pages to fetch per site in this run.")
@click.option("--source", help="Source name stored with each review (default: web:<host>, or the config's name).")
@click.option("--cache/--no-cache", default=False, show_default=True,
              help="Keep and replay fetched pages (for developing a site config; never for scheduled runs).")
@click.option("--full", is_flag=True, help="Crawl every page, even past pages whose reviews are all stored.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def scrape(ctx: click.Context, urls: tuple[str, ...], site: str | None, max_pages: int, source: str | None,
           cache: bool, full: bool, as_json: bool) -> None:
    """Crawl review pages (URLS, sitemaps or robots.txt) and store the reviews they publish.

    Pages with schema.org Review markup (JSON-LD, microdata, RDFa) need no setup; others need a
    --site config. Polite: robots.txt, AutoThrottle, a page limit. Incremental: on listings sorted
    newest first, paging stops at a page of reviews already stored. Failed pages (404, broken
    markup, timeouts) are reported by URL and skipped.
    """
    if not urls and not site:
        raise click.UsageError("give at least one URL (or --site with start_urls)")
    ws = _workspace(ctx)
    quiet = ctx.obj["quiet"] or as_json
    status = _Status(not quiet)

    def progress(pages: int, reviews: int) -> None:
        status.show(f"crawled {pages} pages, {reviews} reviews found")

    try:
        result = ws.scrape(list(urls), site=site, max_pages=max_pages, source=source, cache=cache, full=full,
                           progress=progress)
    finally:
        status.done()
    if as_json:
        _echo_json({**result.as_dict(), "messages": result.messages})
    elif not ctx.obj["quiet"]:
        for f in result.failed:
            click.echo(f"failed: {f['url']}: {f['reason']}", err=True)
        page_urls = {f["url"] for f in result.failed}
        others = [m for m in result.messages if m.split(": ", 1)[0] not in page_urls]
        for msg in others[:20]:
            click.echo(msg, err=True)
        for note in result.notes[:20]:
            click.echo(f"note: {note}", err=True)
        click.echo(
            f"crawled {result.pages} pages, {len(result.failed)} failed, found {result.reviews} reviews: "
            f"{result.inserted} new, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.reviews_rejected} rejected"
        )
    if result.errors:
        raise click.ClickException("; ".join(result.errors))


@click.command("reddit")
@click.option("--subreddit", required=True, help="Subreddit to read, e.g. BuyItForLife (without r/).")
@click.option("--query", help="Search the subreddit for this text (sorted by new) instead of listing all posts.")
@click.option("--since", help="Read back to this date (default: the last run's newest post minus --overlap-hours).")
@click.option("--comments", is_flag=True, help="Also store each post's comments (expanded within --more-limit).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000),
              help="Most posts to read (Reddit lists at most 1000).")
@click.option("--more-limit", default=4, show_default=True, type=click.IntRange(min=0),
              help="Most 'load more comments' requests per post.")
@click.option("--overlap-hours", default=6.0, show_default=True, type=click.FloatRange(min=0),
              help="Re-read this much before the last run's newest post, for posts that appear late.")
@click.option("--source", help="Source name stored with each row (default: reddit:<subreddit>).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reddit_command(ctx: click.Context, subreddit: str, query: str | None, since: str | None, comments: bool,
                   limit: int, more_limit: int, overlap_hours: float, source: str | None, as_json: bool) -> None:
    """Store a subreddit's posts (and comments) through Reddit's API, incrementally.

    Credentials: VOCMINE_REDDIT_CLIENT_ID, VOCMINE_REDDIT_CLIENT_SECRET and VOCMINE_REDDIT_USER_AGENT
    (or a praw.ini section named by VOCMINE_REDDIT_SITE). Keeps to 60 requests a minute and waits
    out "429 Too Many Requests". Authors are stored only as pseudonyms.
    """
    ws = _workspace(ctx)
    quiet = ctx.obj["quiet"] or as_json
    status = _Status(not quiet)

    def progress(posts: int, n_comments: int) -> None:
        status.show(f"read {posts} posts, {n_comments} comments")

    try:
        result = ws.ingest_reddit(subreddit, query=query, since=since, comments=comments, limit=limit,
                                  more_limit=more_limit, overlap_hours=overlap_hours, source=source, progress=progress)
    finally:
        status.done()
    if as_json:
        _echo_json({**result.as_dict(), "messages": result.messages})
        return
    if ctx.obj["quiet"]:
        return
    for msg in result.messages[:20]:
        click.echo(msg, err=True)
    for w in result.waits or []:
        click.echo(f"note: {w}", err=True)
    click.echo(
        f"{result.source}: {result.posts} posts, {result.comments} comments: {result.inserted} new, "
        f"{result.updated} updated, {result.unchanged} unchanged, {result.rejected} rejected"
        + (f" (read back to {result.since})" if result.since else "")
    )


def register(cli: click.Group) -> None:
    """Add ``vocmine scrape`` and make ``vocmine ingest reddit`` dispatch to the Reddit command."""
    cli.add_command(scrape)
    VocmineGroup.ingest_sources["reddit"] = reddit_command
