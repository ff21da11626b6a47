"""CLI for the "tell" stage: ``vocmine report`` and ``vocmine publish``."""
from __future__ import annotations

import click

from vocmine.cli.choices import Registered
from vocmine.cli.main import _workspace

FORCE_HELP = ("Write into a folder that is not empty and has no .vocmine-manifest.json (files there may be "
              "overwritten).")


def _gate_line(gate) -> str | None:
    """Return the line that says what the privacy gate held back, None when nothing."""
    parts = []
    if gate.quotes_withheld:
        parts.append(f"{gate.quotes_withheld} quotes")
    if gate.phrases_withheld:
        parts.append(f"{gate.phrases_withheld} phrases")
    line = f"  left out {' and '.join(parts)} that still matched a personal-data pattern" if parts else ""
    if gate.texts_redacted:
        line = (line + ";" if line else " ") + f" redacted personal data in {gate.texts_redacted} titles or labels"
    return line or None


@click.command()
@click.option("--week", metavar="YYYY-Www", help="ISO week to report on (default: the week of the newest feedback).")
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for weekly-YYYY-Www.html/.md and latest.html/.md.")
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
              help="Language of the report's own wording (customer quotes stay as written).")
@click.option("--company", help="Company name shown in the report (saved for later runs).")
@click.option("--template-dir", type=click.Path(exists=True, file_okay=False), multiple=True,
              help="Folder of templates that override the packaged ones (repeatable; searched first).")
@click.option("--product", help="Only this product: every count, topic, phrase and quote (into OUT/product-NAME/).")
@click.option("--source", help="Only this source (written to OUT/source-NAME/).")
@click.option("--json", "as_json", is_flag=True, help="Print the report's data as JSON instead of writing files.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def report(ctx: click.Context, week: str | None, out_dir: str, lang: str, company: str | None,
           template_dir: tuple[str, ...], product: str | None, source: str | None, as_json: bool,
           force: bool) -> None:
    """Write the weekly internal report: volume, sentiment, NPS/CSAT, topics, phrases, spikes, loop closure."""
    from vocmine.tell import report_stage
    from vocmine.tell.publish.gate import Gate

    with _workspace(ctx) as ws:
        if company:
            ws.set_setting("site.company", company)
        if as_json:
            click.echo(report_stage.dumps(report_stage.weekly_data(ws, week, lang=lang, product=product,
                                                                   source=source,
                                                                   company=ws.setting("site.company"))))
            return
        gate = Gate()
        paths = report_stage.report(ws, out_dir, week, lang=lang, template_dir=list(template_dir) or None,
                                    force=force, gate=gate, product=product, source=source)
    if not ctx.obj["quiet"]:
        for name in ("html", "md"):
            click.echo(f"wrote {paths[name]}")
        if line := _gate_line(gate):
            click.echo(line)


@click.command()
@click.option("--out", "out_dir", default="site", show_default=True, type=click.Path(file_okay=False),
              help="Folder of the changelog site (index.html, feed.xml, entries/, ko/).")
@click.option("--format", "formats", type=Registered("vocmine.publishers"), multiple=True,
              help="What to write: the HTML site with Atom feeds, a Markdown changelog, or both (default: site).")
@click.option("--base-url", help="Public address the site will live at (used in feeds and canonical links; saved).")
@click.option("--company", help="Company name for the footer and feed author (saved).")
@click.option("--title-en", help="Site title in English (saved).")
@click.option("--title-ko", help="Site title in Korean (saved).")
@click.option("--template-dir", type=click.Path(exists=True, file_okay=False), multiple=True,
              help="Folder of templates that override the packaged ones (repeatable; searched first).")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def publish(ctx: click.Context, out_dir: str, formats: tuple[str, ...], base_url: str | None, company: str | None,
            title_en: str | None, title_ko: str | None, template_dir: tuple[str, ...], force: bool) -> None:
    """Publish approved "you said, we did" entries as a static changelog site (EN + KO) and Atom feeds."""
    from vocmine.tell.publish.gate import Gate

    gate = Gate()
    with _workspace(ctx) as ws:
        files = ws.publish(out_dir, formats=formats or ("site",), template_dir=list(template_dir) or None,
                           base_url=base_url, company=company, title_en=title_en, title_ko=title_ko,
                           force=force, gate=gate)
        approved = len(ws.entries(status="approved"))
    if not ctx.obj["quiet"]:
        click.echo(f"published {approved} approved entries: {len(files)} files in {out_dir}")
        if line := _gate_line(gate):
            click.echo(line)
        if not approved:
            click.echo("  no approved entries yet: see 'vocmine entries list' and 'vocmine entries approve'")


def register(cli: click.Group) -> None:
    """Add the publishing commands to the ``vocmine`` group."""
    cli.add_command(report)
    cli.add_command(publish)
