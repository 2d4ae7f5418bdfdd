"""``cmops card URL``: a page's link card, fetched once, as the ``link:`` mapping a post
holds (title, description, and the image saved under ``calendar/media/cards/``).

Writing the card into the post makes it reviewable in the pull request and publishing
deterministic: a bare ``link:`` is fetched again when it goes out.
"""

from __future__ import annotations

import click


@click.command("card")
@click.argument("url")
@click.option("--post", "post_id", metavar="ID",
              help="Write the card into this post's link: (replacing what is there).")
@click.option("--no-image", is_flag=True, help="Do not fetch and save the page's image.")
@click.option("--timeout", type=click.FloatRange(min=1, max=120), default=10,
              show_default=True, metavar="SECONDS", help="Per request.")
@click.pass_context
def command(ctx: click.Context, url: str, post_id: str | None, no_image: bool,
            timeout: float) -> None:
    """Fetch URL's card (OpenGraph and Twitter-card tags) and print it as YAML.

    The page is fetched once (http or https, at most 5 redirects, no cookies, at most 1 MiB
    read); its og:image is saved under calendar/media/cards/. Paste the printed link: into
    a post, or pass --post ID to write it there and validate the post.

    Exit status: 0 done; 1 the page cannot be read (or the post is then invalid); 2 usage
    error.

    Example:

    \b
        cmops card https://lumen-velo.example/conseils/nuit
        cmops card https://lumen-velo.example/halo --post halo-product-photo
    """
    from cmops.atomic import write_atomic
    from cmops.cards import CardError, link_for
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load, repo_root
    from cmops.output import text as as_text
    from cmops.postfile import link_lines, with_link
    from cmops.validate import validate

    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise click.BadParameter("an http(s) URL without spaces", param_hint="URL")
    root = repo_root(ctx)
    target = None
    if post_id is not None:
        _, calendar, _ = load(ctx)
        target = next((p for p in calendar.posts if p.id == post_id), None)
        if target is None:
            raise click.BadParameter(f"no such post: {post_id}", param_hint="--post")
    try:
        link, notes = link_for(root, url, with_image=not no_image, timeout=timeout)
    except CardError as exc:
        click.echo(f"cmops card: cannot read the page: {exc}", err=True)
        ctx.exit(EXIT_CONTENT)
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    click.echo("\n".join(link_lines(link)))
    if target is None:
        ctx.exit(EXIT_OK)
    path = root / target.file
    write_atomic(path, with_link(path.read_text("utf-8"), link).encode("utf-8"))
    click.echo(f"Wrote the card into {target.file}", err=True)
    report = validate(root, [target.file])
    if not report.ok or report.warnings:
        click.echo(as_text(report), err=True)
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)
