"""``searchsvc index | serve | search``: a thin face over the core.

Exit status: 0 success, 2 bad usage or bad input, 1 anything else; errors go to stderr in one
line that says what to do.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import click

from searchsvc.config import Config
from searchsvc.query import QueryError


def _paths(fn):
    fn = click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="索引目录 / index folder (default $SEARCHSVC_INDEX or index/)",
    )(fn)
    fn = click.option(
        "--corpus",
        type=click.Path(file_okay=False, path_type=Path),
        help="公报目录 / bulletin folder (default $SEARCHSVC_CORPUS or corpus/)",
    )(fn)
    return fn


def _fail(message: str, code: int) -> None:
    click.echo(f"错误 / error: {message}", err=True)
    sys.exit(code)


@click.group(help="档案检索 — search a Chinese news archive.")
def main() -> None:
    pass


@main.command(
    "index",
    help="Sync the corpus into the index: add new, replace changed, delete "
    "removed bulletins. Writes nothing when nothing changed.",
)
@_paths
def index_cmd(corpus: Path | None, index_dir: Path | None) -> None:
    from searchsvc.index import IndexBusy, sync

    cfg = Config.from_env(corpus=corpus, index=index_dir)
    bar = None

    def progress(done: int, total: int, name: str) -> None:
        nonlocal bar
        if not sys.stderr.isatty():
            return  # quiet when piped
        if bar is None:
            bar = click.progressbar(length=total, label="索引公报 / indexing", file=sys.stderr,
                                    show_pos=True, show_eta=True,
                                    item_show_func=lambda item: item)  # fmt: skip
            bar.__enter__()
        bar.update(1, name)
        if done == total:
            bar.__exit__(None, None, None)
            bar = None
            # Whoosh writes the segment at commit: on a big batch that is a long, silent step.
            click.echo("写入索引… / committing…", err=True)

    try:
        report = sync(cfg.corpus, cfg.index, progress=progress)
    except FileNotFoundError as err:
        _fail(str(err), 2)
    except IndexBusy as err:
        _fail(str(err), 1)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for rejected in report.rejected:
        click.echo(f"拒收 / rejected: {rejected.file}: {rejected.reason}", err=True)
    click.echo(report.summary())


@main.command(help="Search the index and print the results (--json: as GET /api/search).")
@click.argument("query", default="")
@click.option("--json", "as_json", is_flag=True, help="print the JSON the API returns")
@click.option("--page", default=1, show_default=True)
@click.option("--per-page", default=10, show_default=True)
@click.option(
    "--sort",
    default="relevance",
    show_default=True,
    type=click.Choice(["relevance", "-date", "date"]),
)
@_paths
def search(
    query: str,
    as_json: bool,
    page: int,
    per_page: int,
    sort: str,
    corpus: Path | None,
    index_dir: Path | None,
) -> None:
    from searchsvc.search import Engine, SearchRequest

    cfg = Config.from_env(corpus=corpus, index=index_dir)
    try:
        resp = Engine(cfg.index).search(
            SearchRequest(q=query, page=page, per_page=per_page, sort=sort)
        )
    except QueryError as err:
        _fail(err.message, 2)
    if as_json:
        click.echo(json.dumps(resp.to_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"共 {resp.total} 篇 / {resp.total} articles ({resp.took_ms} ms)")
    for r in resp.results:
        plain = str(r.snippet).replace("<mark>", "【").replace("</mark>", "】")
        byline = "、".join(r.reporters)
        click.echo(
            f"\n{r.id}  {r.date or '日期不详'}  {r.title}" + (f"（{byline}）" if byline else "")
        )
        click.echo(f"  本文 {r.matched_paragraphs} 段命中: {html.unescape(plain)}")


@main.command(help="Serve the search UI and JSON API with waitress.")
@click.option("--host", help="default $SEARCHSVC_HOST or 127.0.0.1")
@click.option("--port", type=int, help="default $SEARCHSVC_PORT or 8080")
@click.option("--threads", type=int, default=4, show_default=True)
@_paths
def serve(
    host: str | None, port: int | None, threads: int, corpus: Path | None, index_dir: Path | None
) -> None:
    from searchsvc.server import serve as run_server
    from searchsvc.web import create_app

    cfg = Config.from_env(corpus=corpus, index=index_dir, host=host, port=port, threads=threads)
    app = create_app(cfg)
    click.echo(f"档案检索 serving http://{cfg.host}:{cfg.port}/ (index {cfg.index})")
    run_server(app, cfg.host, cfg.port, cfg.threads)


if __name__ == "__main__":
    main()
