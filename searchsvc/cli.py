"""``searchsvc index | serve | search``: a thin face over the core.

Exit status: 0 success, 2 bad usage or bad input, 1 anything else; errors go to stderr in one
line that says what to do.
"""

from __future__ import annotations

import html
import json
import logging
import signal
import sys
import threading
from dataclasses import fields
from pathlib import Path

import click

from searchsvc.config import MAX_WORKERS, Config, ConfigError
from searchsvc.errors import ApiError

FACETS_SHOWN = 5  # facet values printed under a plain-text search result
RESYNC_SECONDS = 300.0  # a watcher also syncs this often, whatever it saw


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


def _config(**overrides) -> Config:
    """The settings (environment, then options); a bad one ends the command with status 2."""
    try:
        return Config.from_env(**overrides)
    except ConfigError as err:
        _fail(str(err), 2)


def _fail(message: str, code: int) -> None:
    click.echo(f"错误 / error: {message}", err=True)
    sys.exit(code)


@click.group(help="档案检索 — search a Chinese news archive.")
def main() -> None:
    pass


@main.command(
    "index",
    help="Sync the corpus into the index: add new, replace changed, delete "
    "removed bulletins. Writes nothing when nothing changed. --full: rebuild from scratch into "
    "a fresh folder and swap it in; the old index serves until then, and stays if the rebuild "
    "fails. One index run at a time: a second one waits, then gives up.",
)
@click.option("--full", is_flag=True, help="rebuild from scratch and swap the new index in")
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="seconds to wait for another index run before giving up (exit 1)",
)
@_paths
def index_cmd(full: bool, lock_timeout: float, corpus: Path | None, index_dir: Path | None) -> None:
    from searchsvc.index import IndexBusy
    from searchsvc.lexicon import Lexicon
    from searchsvc.storage import PointerError
    from searchsvc.typesense.client import TypesenseUnavailable
    from searchsvc.vocabulary import VOCAB_DIR, VocabError
    from searchsvc.writing import Target, sync

    cfg = _config(corpus=corpus, index=index_dir)
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

    def waiting(message: str) -> None:
        # Printed even when piped: a run that sits silent for a minute looks hung.
        click.echo(f"{message} (≤ {lock_timeout:.0f} s)", err=True)

    try:
        # The query-time vocabularies are not part of the index, but staff edit them alongside
        # the others and this is where they look for errors.
        Lexicon.load(cfg.vocab or VOCAB_DIR)
        # Whichever backend serves (writing.sync): the Whoosh index, or the Typesense cluster
        # (batched upserts retried across a leader change; --full: new collection, alias swap).
        report = sync(Target.of(cfg), full=full, progress=progress, lock_timeout=lock_timeout,
                      on_wait=waiting)  # fmt: skip
    except (FileNotFoundError, VocabError) as err:
        _fail(str(err), 2)
    except (IndexBusy, PointerError) as err:
        _fail(str(err), 1)
    except TypesenseUnavailable as err:
        _fail(err.message, 1)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for rejected in report.rejected:
        click.echo(f"拒收 / rejected: {rejected.file}: {rejected.reason}", err=True)
    click.echo(report.summary())


def _request_options(fn):
    """One option per search parameter, derived from ``SearchRequest`` (as the URL has them)."""
    from searchsvc.records import SORTS, SearchRequest, param_name, repeatable

    helps = {
        "organizer": "主办单位 (repeat: any of them)", "district": "区域 (repeat: any of them)",
        "type": "活动类型 (repeat: any of them)", "within": "在结果中检索 (repeat: all of them)",
        "from": "from date: YYYY, YYYY-MM or YYYY-MM-DD", "to": "to date (inclusive)",
    }  # fmt: skip
    for f in reversed(fields(SearchRequest)):
        if f.name == "q":
            continue
        name = param_name(f)
        many = repeatable(f)
        kind = click.Choice(list(SORTS)) if name == "sort" else None
        fn = click.option(f"--{name.replace('_', '-')}", name, multiple=many, type=kind,
                          help=helps.get(name), show_default=bool(f.default) and not many,
                          default=() if many else f.default)(fn)  # fmt: skip
    return fn


@main.command(help="Search the index and print the results (--json: as GET /api/search).")
@click.argument("query", default="")
@click.option("--json", "as_json", is_flag=True, help="print the JSON the API returns")
@_request_options
@_paths
def search(
    query: str, as_json: bool, corpus: Path | None, index_dir: Path | None, **params
) -> None:
    from werkzeug.datastructures import MultiDict

    from searchsvc.search import Engine, SearchRequest

    cfg = _config(corpus=corpus, index=index_dir)
    args = MultiDict([("q", query)])
    for name, value in params.items():
        for v in value if isinstance(value, tuple) else (value,):
            args.add(name, str(v))
    try:
        req = SearchRequest.from_args(args)
        engine = Engine(cfg.index, cfg.query_budget, cfg.vocab, backend=cfg.backend)
        resp = engine.search(req)
    except ApiError as err:
        _fail(err.message, 1 if err.status >= 500 else 2)  # a cluster down is no bad usage
    if as_json:
        click.echo(json.dumps(resp.to_dict(), ensure_ascii=False, indent=1))
        return
    click.echo(f"共 {resp.total} 篇 / {resp.total} articles ({resp.took_ms} ms)")
    for f in resp.facets:
        top = "、".join(
            f"{'✓' if v.selected else ''}{v.value}({v.count})" for v in f.values[:FACETS_SHOWN]
        )
        click.echo(f"  {f.label}: {top or '—'}")
    for r in resp.results:
        plain = str(r.snippet).replace("<mark>", "【").replace("</mark>", "】")
        byline = "、".join(r.reporters)
        click.echo(
            f"\n{r.id}  {r.date or '日期不详'}  {r.title}" + (f"（{byline}）" if byline else "")
        )
        click.echo(f"  本文 {r.matched_paragraphs} 段命中: {html.unescape(plain)}")


@main.command(
    help="Show how one bulletin file is read: articles, dates, bylines, paragraphs and facets "
    "(--json: machine-readable, with the paragraph texts)."
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@_paths
def parse(file: Path, as_json: bool, corpus: Path | None, index_dir: Path | None) -> None:
    from searchsvc import bulletin, facets
    from searchsvc.vocabulary import VOCAB_DIR, VocabError

    cfg = _config(corpus=corpus, index=index_dir)
    # Ids come from the path inside the corpus; a file elsewhere is read as if its folder were.
    inside = file.resolve().is_relative_to(cfg.corpus.resolve())
    root = cfg.corpus if inside else file.parent
    try:
        vocab = facets.Vocabulary.load(cfg.vocab or VOCAB_DIR)
        doc = bulletin.read(file.resolve(), root.resolve())
    except VocabError as err:
        _fail(str(err), 2)
    except bulletin.BulletinError as err:
        _fail(f"{file}: {err.reason}", 2)
    rows = [_parsed(article, facets.extract(article, vocab)) for article in doc.articles]
    if as_json:
        click.echo(json.dumps({"file": str(file), "articles": rows}, ensure_ascii=False, indent=1))
        return
    click.echo(f"{file}: {len(rows)} 篇文章 / articles, 日期 / date {doc.date or '日期不详'}")
    labels = (
        ("reporters", "记者"), ("correspondents", "通讯员"), ("photographers", "摄影"),
        ("organizer", "主办"), ("host", "承办"), ("co_organizer", "协办"),
        ("district", "区域"), ("event_type", "活动类型"),
    )  # fmt: skip
    for row in rows:
        click.echo(f"\n{row['id']}  {row['date'] or '日期不详'}  {row['title']}")
        click.echo(f"  段落 / paragraphs: {len(row['paragraphs'])}")
        for i, (key, label) in enumerate(labels):
            shown = "、".join(row[key]) or ("—" if i < 3 else facets.UNKNOWN)
            why = "；".join(
                f"{v}←“{p}”" for v, p in row.get("evidence", {}).get(key, {}).items() if p
            )
            click.echo(f"  {label} / {key}: {shown}" + (f"  （依据 / why: {why}）" if why else ""))


def _parsed(article, found) -> dict:
    """One article as ``searchsvc parse --json`` prints it: its record, paragraphs as text."""
    from searchsvc.article import ArticleRecord

    record = ArticleRecord.of(article, found)
    return {
        **record.stored(),
        "paragraphs": [p.text for p in article.paragraphs],
        "evidence": found.why(),  # {facet: {value: the phrase that gave it}}
    }


@main.command(help="Serve the search UI and JSON API with waitress.")
@click.option("--host", help="default $SEARCHSVC_HOST or 127.0.0.1")
@click.option("--port", type=int, help="default $SEARCHSVC_PORT or 8080")
@click.option("--threads", type=int, default=4, show_default=True, help="per server process")
@click.option(
    "--workers",
    type=click.IntRange(1, MAX_WORKERS),
    help="server processes sharing the port (default $SEARCHSVC_WORKERS or one per core)",
)
@click.option("--watch", "watching", is_flag=True, help="also index bulletins as they land")
@_paths
def serve(
    host: str | None,
    port: int | None,
    threads: int,
    workers: int | None,
    watching: bool,
    corpus: Path | None,
    index_dir: Path | None,
) -> None:
    from searchsvc import workers as processes
    from searchsvc.server import make_server
    from searchsvc.web import create_app, share

    cfg = _config(corpus=corpus, index=index_dir, host=host, port=port, threads=threads,
                  workers=workers)  # fmt: skip
    app = create_app(cfg)
    try:
        # Bound here, once: every server process accepts on it (``workers``).
        listener = processes.listen(cfg.host, cfg.port)
    except OSError as err:
        _fail(f"{cfg.host}:{cfg.port}: {err.strerror or err} / cannot listen there", 1)
    _warm(app.extensions["searchsvc"])
    target = app.extensions["searchsvc.reindexer"].target.describe()
    many = f", {cfg.workers} processes" if cfg.workers > 1 else ""
    click.echo(f"档案检索 serving http://{cfg.host}:{cfg.port}/ (index {target}{many})")
    if watching or cfg.workers > 1:
        _logging()

    def run(slot: int) -> None:
        reindexer = app.extensions["searchsvc.reindexer"]
        if watching and slot == 0:  # one watcher, whatever the number of processes
            reindexer.request()  # whatever landed while nobody was watching
            # What the watcher saw is all a sync reads (the periodic resync passes none: all).
            _start_watching(
                cfg, lambda changes: reindexer.request([c.path for c in changes] or None)
            )
        try:
            make_server(app, threads=cfg.threads, sockets=[listener]).run()
        except KeyboardInterrupt:
            pass
        finally:
            reindexer.close(timeout=5)

    if cfg.workers == 1:
        # SIGTERM (systemd, docker stop) ends the server like Ctrl-C: the sync worker is shut down.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        run(0)
        return
    board = processes.Board(cfg.workers)

    def child(slot: int) -> None:
        share(app, board, slot)
        run(slot)

    sys.exit(processes.supervise(cfg.workers, child))


@main.command(help="Watch the corpus and sync the index whenever bulletins land, change or go.")
@click.option("--poll", is_flag=True, help="poll the folder instead of using inotify")
@click.option("--debounce", default=500, show_default=True, help="ms for a burst to settle")
@_paths
def watch(poll: bool, debounce: int, corpus: Path | None, index_dir: Path | None) -> None:
    from searchsvc.reindexer import Reindexer
    from searchsvc.watch import watch as watch_corpus
    from searchsvc.writing import Target

    cfg = _config(corpus=corpus, index=index_dir)
    if not cfg.corpus.is_dir():
        _fail(f"{cfg.corpus}: 语料目录不存在 / corpus folder not found", 2)
    _logging()
    reindexer = Reindexer(Target.of(cfg), in_process=True)

    def sync_now(changes=()) -> None:
        run = reindexer.wait(reindexer.request())
        if run is not None and run.error:
            logging.getLogger("searchsvc.watch").error("sync failed: %s", run.error)

    sync_now()
    click.echo(f"监视 / watching {cfg.corpus} → {reindexer.target.describe()} (Ctrl-C to stop)",
               err=True)  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _every(RESYNC_SECONDS, sync_now, stop)
    try:
        watch_corpus(cfg.corpus, sync_now, stop, debounce_ms=debounce, poll=poll)
    except KeyboardInterrupt:
        pass
    finally:
        reindexer.close()


def _warm(engine) -> None:
    """Read the catalogue and answer one query before serving: the first user does not wait for
    them, and the server processes forked next share what was read (copy-on-write)."""
    from searchsvc.records import SearchRequest

    try:
        engine.facets()
        engine.search(SearchRequest(q="预热"))
    except Exception as err:  # an empty index, a cluster not up yet: the first request tells
        click.echo(f"预热失败 / not warmed up: {str(err) or type(err).__name__}", err=True)


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # watchfiles logs every raw batch (junk files included); our watcher logs what matters.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)


def _start_watching(cfg: Config, on_change) -> None:
    from searchsvc.watch import watch as watch_corpus

    stop = threading.Event()
    threading.Thread(
        target=watch_corpus, args=(cfg.corpus, on_change, stop), name="watch", daemon=True
    ).start()
    _every(RESYNC_SECONDS, on_change, stop)


def _every(seconds: float, fn, stop: threading.Event) -> None:
    """Call ``fn([])`` every ``seconds`` until ``stop``: a full sync now and then catches what a
    watcher can miss (an overflowing inotify queue, a same-second edit when polling)."""

    def loop() -> None:
        while not stop.wait(seconds):
            fn([])

    threading.Thread(target=loop, name="resync", daemon=True).start()


if __name__ == "__main__":
    main()
