"""Talking to a Typesense cluster: the official client, and the two things it lacks.

The official ``typesense`` client already spreads requests round-robin over the nodes and, on a
connection error, a 5xx or a timeout, marks the node unhealthy and retries on the next one.
Measured against a real 3-node 0.24.1 cluster with the leader SIGKILLed:

* **Reads** fail over cleanly: followers keep answering searches while a new leader is elected,
  and the dead node is skipped after one refused connection (0 failed searches in ~4,600).
* **Writes** do not survive a leader change by themselves. For the ~7-8 s of the election every
  node answers a write with a bare 500, so the client marks *every* node unhealthy; with all of
  them unhealthy it keeps sending to one node, which may be the dead one, until its health
  check interval (60 s by default) lapses. With the default settings every write in the 15 s
  after the kill failed.

So: ``healthcheck_interval_seconds`` is 1 (an unhealthy node is tried again a second later),
and ``write()`` retries an idempotent write (an upsert by id, a delete by filter, an alias
upsert) until it goes through or ``write_deadline`` seconds have passed. ``read()`` does the same
for reads with a shorter deadline, for the case where every node refused at once.

**Inside a search request** (``deadline.current()``: ``search.Engine`` runs each under its
``deadline.Deadline``) every HTTP call takes its timeout from what is left of the budget
(``BudgetedHttp``), none is started past it, and neither the client's retries across nodes nor
``read()``'s go on past it; each search also carries ``search_cutoff_ms`` = what is left, so a
node stops working on a search nobody waits for. Past the budget: the deadline's own
``SearchTimeout`` (the 503 the Whoosh backend gives), or ``TypesenseUnavailable`` (also a 503)
when the nodes refused rather than took too long. Measured before (whole archive, 3 nodes): a
search slower than the 2 s connection timeout was sent again to each node in turn (up to 7
times, each a full search on a node), then ``read()`` began again for 10 s: p95 14.8 s, and the
abandoned searches kept the nodes busy.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import httpx
import typesense
from typesense import exceptions as ts_errors

from searchsvc import deadline as deadlines
from searchsvc.errors import ApiError, SearchTimeout
from searchsvc.typesense.config import TypesenseConfig

T = TypeVar("T")

# What says "this node, now" rather than "this request": worth trying again elsewhere or later.
RETRYABLE = (
    ts_errors.ServerError,
    ts_errors.ServiceUnavailable,
    ts_errors.HTTPStatus0Error,
    httpx.TransportError,
)
# Import lines that failed for the cluster's sake, not the document's.
_RETRYABLE_LINE = ("not ready", "lagging", "leader", "timed out", "queue")

READ_DEADLINE = 10.0  # seconds a read keeps trying when every node failed at once
WRITE_DEADLINE = 30.0  # seconds a write keeps trying: a Raft election here takes ~8 s
IMPORT_BATCH = 500  # documents per import request
CONNECT_TIMEOUT = 2.0  # seconds to connect to a node (a dead one refuses at once on loopback)


class TypesenseUnavailable(ApiError, RuntimeError):
    """The cluster did not answer within the deadline: a 503 on the web, exit 1 in the CLI."""

    status = 503

    def __init__(self, message: str):
        super().__init__("cluster_unavailable", message)


class BudgetedHttp(httpx.Client):
    """The client's HTTP client: inside a request's budget (``deadline.current``) a call's
    timeout is what is left of it, and a call that would start past it raises the deadline's
    ``SearchTimeout`` instead (the client's retry loop lets that through: it is neither a
    server nor a client error to it). A timeout that the budget set is the budget's end, not
    the node's fault: raised as ``SearchTimeout`` too, so the node is not marked unhealthy and
    no other node is asked the same search."""

    def request(self, method: str, url, **kwargs) -> httpx.Response:
        deadline = _budget()
        if deadline is None:
            return super().request(method, url, **kwargs)
        left = _left(deadline)
        if left <= 0:
            deadline.check()  # raises: past the budget
        connect = min(left, self.timeout.connect or CONNECT_TIMEOUT)
        kwargs["timeout"] = httpx.Timeout(left, connect=connect)
        try:
            return super().request(method, url, **kwargs)
        except httpx.TimeoutException:
            _past(deadline)
            raise  # a shorter timeout (connecting): the node's — another one is asked


_UNBOUNDED: ContextVar[bool] = ContextVar("typesense_unbounded", default=False)


def _budget() -> deadlines.Deadline | None:
    return None if _UNBOUNDED.get() else deadlines.current()


def _left(deadline: deadlines.Deadline) -> float:
    return deadline.at - time.perf_counter()


def _past(deadline: deadlines.Deadline, grain: float = 0.01) -> None:
    """Raise the deadline's own ``SearchTimeout`` if its budget is spent, give or take
    ``grain`` (a timeout or a cutoff set to what was left ends a hair before the deadline)."""
    left = _left(deadline)
    if left <= grain:
        time.sleep(max(0.0, left) + 0.001)
        deadline.check()


@contextlib.contextmanager
def unbounded() -> Iterator[None]:
    """Calls inside are not bound by the request's budget: loading what every request shares
    (the catalogue), which a request's budget must not cut short for everyone."""
    token = _UNBOUNDED.set(True)
    try:
        yield
    finally:
        _UNBOUNDED.reset(token)


@dataclass
class ImportResult:
    imported: int
    attempts: int  # requests sent, retries included


class Cluster:
    """One client for one cluster, shared by every thread of a process."""

    def __init__(
        self,
        config: TypesenseConfig,
        connection_timeout: float = CONNECT_TIMEOUT,
        read_deadline: float = READ_DEADLINE,
        write_deadline: float = WRITE_DEADLINE,
        event_hooks: dict | None = None,
    ):
        """``event_hooks``: httpx's, on every request sent (tests count requests per node)."""
        self.config = config
        self.read_deadline = read_deadline
        self.write_deadline = write_deadline
        http = BudgetedHttp(
            timeout=httpx.Timeout(connection_timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            event_hooks=event_hooks or {},
        )
        self.client = typesense.Client(
            {
                "nodes": list(config.nodes),
                "api_key": config.api_key,
                "connection_timeout_seconds": connection_timeout,
                # Every node once, and then once more: a single request rides out one dead node.
                "num_retries": 2 * len(config.nodes),
                "retry_interval_seconds": 0.05,
                "healthcheck_interval_seconds": 1,  # see the module docstring
            },
            http,
        )

    # -- retry envelopes

    def read(self, call: Callable[[], T]) -> T:
        """Inside a request's budget, tried again only within it."""
        within = _budget()
        try:
            return _retrying(call, self.read_deadline, "read", within)
        except SearchTimeout as err:
            # Spent on nodes that refused (the client's retry loop met the budget's end), not
            # on a slow search: the cluster is unavailable, adding words would not help.
            cause = err.__context__
            if isinstance(cause, RETRYABLE) and not isinstance(cause, httpx.TimeoutException):
                raise TypesenseUnavailable(
                    f"Typesense 集群 {within.budget:g} 秒内无应答 / no node of the cluster "
                    f"answered within {within.budget:g} s: {cause}"
                ) from err
            raise

    def write(self, call: Callable[[], T]) -> T:
        """``call`` must be idempotent: it may have been applied before its answer was lost."""
        return _retrying(call, self.write_deadline, "write", None)

    # -- reads

    def search(self, collection: str, params: dict) -> dict:
        documents = self.client.collections[collection].documents
        answer = self.read(lambda: documents.search(_cut_off(params)))
        _whole(answer)
        return answer

    def multi_search(self, collection: str, searches: list[dict]) -> list[dict]:
        def body() -> dict:  # made at each try: the cutoff is what is left then
            return {"searches": [{"collection": collection, **_cut_off(s)} for s in searches]}

        answer = self.read(lambda: self.client.multi_search.perform(body(), {}))
        results = answer["results"]
        for result in results:
            if "error" in result:  # multi_search answers 200 with per-search errors
                raise ts_errors.RequestMalformed(result["error"])
            _whole(result)
        return results

    def collection_names(self) -> list[str]:
        return [c["name"] for c in self.read(self.client.collections.retrieve)]

    def alias_target(self, alias: str) -> str | None:
        try:
            return self.read(lambda: self.client.aliases[alias].retrieve())["collection_name"]
        except ts_errors.ObjectNotFound:
            return None

    # -- writes

    def create_collection(self, schema: dict) -> None:
        # Already there: a retried create whose first answer was lost, or a rerun.
        with contextlib.suppress(ts_errors.ObjectAlreadyExists):
            self.write(lambda: self.client.collections.create(schema))

    def drop_collection(self, name: str) -> None:
        with contextlib.suppress(ts_errors.ObjectNotFound):
            self.write(lambda: self.client.collections[name].delete())

    def point_alias(self, alias: str, collection: str) -> None:
        """Atomically make ``alias`` name ``collection`` (readers see the old or the new one)."""
        self.write(lambda: self.client.aliases.upsert(alias, {"collection_name": collection}))

    def delete_where(self, collection: str, filter_by: str) -> int:
        params = {"filter_by": filter_by, "batch_size": 500}
        answer = self.write(lambda: self.client.collections[collection].documents.delete(params))
        return int(answer.get("num_deleted", 0))

    def delete_id(self, collection: str, doc_id: str) -> None:
        """Delete one document by id (ids must be URL-safe); one already gone is fine."""
        documents = self.client.collections[collection].documents
        with contextlib.suppress(ts_errors.ObjectNotFound):
            self.write(lambda: documents[doc_id].delete())

    def upsert(
        self, collection: str, docs: Iterable[dict], batch: int = IMPORT_BATCH
    ) -> ImportResult:
        """Import ``docs`` with ``action=upsert`` in batches; idempotent by ``id``.

        A line that failed for the cluster's sake (no leader yet, lagging) is sent again with
        the next attempt; a line the server rejects for itself (a bad field) raises.
        """
        result = ImportResult(0, 0)
        pending: list[dict] = []
        for doc in docs:
            pending.append(doc)
            if len(pending) >= batch:
                self._import_batch(collection, pending, result)
                pending = []
        if pending:
            self._import_batch(collection, pending, result)
        return result

    def _import_batch(self, collection: str, docs: list[dict], result: ImportResult) -> None:
        documents = self.client.collections[collection].documents
        deadline = time.monotonic() + self.write_deadline
        while docs:
            body = "\n".join(json.dumps(d, ensure_ascii=False) for d in docs)
            result.attempts += 1
            answer = self.write(lambda b=body: documents.import_(b, {"action": "upsert"}))
            lines = [json.loads(line) for line in answer.splitlines() if line.strip()]
            again = []
            for doc, line in zip(docs, lines, strict=True):
                if line.get("success"):
                    result.imported += 1
                    continue
                error = str(line.get("error", ""))
                if not any(word in error.lower() for word in _RETRYABLE_LINE):
                    raise ts_errors.ObjectUnprocessable(f"{doc.get('id')}: {error}")
                again.append(doc)
            if again and time.monotonic() > deadline:
                raise TypesenseUnavailable(
                    f"Typesense 集群 {self.write_deadline:g} 秒内未接受写入 / the cluster did not "
                    f"accept {len(again)} documents within {self.write_deadline:g} s: {error}"
                )
            if again:
                time.sleep(0.2)
            docs = again

    def wait_indexed(self, collection: str, expected: int, timeout: float = WRITE_DEADLINE) -> None:
        """Poll every node until each that answers holds ``expected`` documents in ``collection``.

        A Raft entry is *applied* on a node before its documents are *indexed* there (each
        node's batched indexer works through its queue on its own time), so a node can apply
        an alias change while the collection it names is still half indexed. Measured: readers
        saw 0 and 55 of 56 documents right after swaps. Whoever swaps an alias waits here first.
        """
        deadline = time.monotonic() + timeout
        for url in self.config.nodes:
            while True:
                count = node_documents(url, self.config.api_key, collection)
                if count is None or count == expected:
                    break  # a node that does not answer catches up before it says healthy
                if time.monotonic() > deadline:
                    raise TypesenseUnavailable(
                        f"{url} 在 {timeout:g} 秒内只索引了 {count}/{expected} 篇 / {url} indexed "
                        f"only {count} of {expected} documents of {collection} in {timeout:g} s"
                    )
                time.sleep(0.05)

    def wait_alias(self, alias: str, collection: str, timeout: float = WRITE_DEADLINE) -> None:
        """Poll every node until each that answers has ``alias`` naming ``collection`` (a
        follower applies the alias a moment after the leader; the next sync may read it)."""
        deadline = time.monotonic() + timeout
        for url in self.config.nodes:
            while node_alias(url, self.config.api_key, alias) not in (collection, None):
                if time.monotonic() > deadline:
                    raise TypesenseUnavailable(
                        f"{url} 在 {timeout:g} 秒内未更新别名 {alias} / {url} did not point "
                        f"{alias} at {collection} within {timeout:g} s"
                    )
                time.sleep(0.05)

    # -- the nodes themselves (health and status pages; not retried, per node on purpose)

    def node_status(self, url: str, timeout: float = 1.0) -> NodeStatus:
        return node_status(url, self.config.api_key, timeout)

    def wait_like_leader(self, collection: str, timeout: float = WRITE_DEADLINE) -> None:
        """Poll until every node holds as many documents in ``collection`` as the leader (a
        write is answered once the leader has indexed it; followers index it on their own
        time). No leader right now (an election): nothing to compare with, no wait."""
        for url in self.config.nodes:
            if self.node_status(url).leader:
                count = node_documents(url, self.config.api_key, collection)
                if count is not None:
                    self.wait_indexed(collection, count, timeout)
                return


@dataclass(frozen=True)
class NodeStatus:
    url: str
    up: bool  # answered at all
    healthy: bool  # GET /health → {"ok": true}
    leader: bool  # GET /debug → state 1 (Raft leader; 4 is a follower)


def node_status(url: str, api_key: str, timeout: float = 1.0) -> NodeStatus:
    """One node's own view of itself, asked directly (never through the round-robin)."""
    try:
        health = _get_json(f"{url}/health", api_key, timeout)
    except (OSError, ValueError):
        return NodeStatus(url, False, False, False)
    try:
        state = _get_json(f"{url}/debug", api_key, timeout).get("state")
    except (OSError, ValueError):
        state = None
    return NodeStatus(url, True, bool(health.get("ok")), state == 1)


def node_documents(url: str, api_key: str, collection: str, timeout: float = 1.0) -> int | None:
    """How many documents node ``url`` itself has indexed in ``collection``: 0 while it has not
    yet applied the collection's creation, None when it does not answer (down, not ready)."""
    found = _node_field(url, api_key, f"/collections/{collection}", "num_documents", timeout)
    return None if found is None else int(found or 0)


def node_alias(url: str, api_key: str, alias: str, timeout: float = 1.0) -> str | None:
    """The collection node ``url`` itself says ``alias`` names ("" when it has no such alias
    yet), None when it does not answer."""
    found = _node_field(url, api_key, f"/aliases/{alias}", "collection_name", timeout)
    return None if found is None else str(found or "")


def _node_field(url: str, api_key: str, path: str, key: str, timeout: float):
    """``key`` of what node ``url`` itself answers at ``path``: "" when it has no such object
    (404), None when it does not answer."""
    request = urllib.request.Request(f"{url}{path}", headers={"X-TYPESENSE-API-KEY": api_key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)[key]
    except urllib.error.HTTPError as err:
        return "" if err.code == 404 else None
    except (OSError, ValueError, KeyError):
        return None


def _get_json(url: str, api_key: str, timeout: float) -> dict:
    request = urllib.request.Request(url, headers={"X-TYPESENSE-API-KEY": api_key})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:  # /health answers 503 with a body while not ready
        return json.loads(err.read() or b"{}")


def _cut_off(params: dict) -> dict:
    """``params`` with ``search_cutoff_ms``: what is left of the request's budget, if any."""
    deadline = _budget()
    if deadline is None:
        return params
    return {**params, "search_cutoff_ms": max(1, int(_left(deadline) * 1000))}


def _whole(answer: dict) -> None:
    """A search the node cut off at ``search_cutoff_ms`` holds part of the answer: none."""
    deadline = _budget()
    if answer.get("search_cutoff") and deadline is not None:
        _past(deadline, grain=0.05)  # the node's clock started a little after ours
        raise TypesenseUnavailable("Typesense 截断了检索 / a node cut the search off early")


def _retrying(call: Callable[[], T], deadline_s: float, what: str, within) -> T:
    """``call`` until it answers, for ``deadline_s`` seconds, or within budget ``within``."""
    deadline = time.monotonic() + deadline_s
    if within is not None:
        deadline = min(deadline, time.monotonic() + _left(within))
    pause = 0.1
    while True:
        try:
            return call()
        except RETRYABLE as err:
            if time.monotonic() + pause > deadline:
                if within is not None and isinstance(err, httpx.TimeoutException):
                    _past(within)
                limit = deadline_s if within is None else within.budget
                raise TypesenseUnavailable(
                    f"Typesense 集群 {limit:g} 秒内无应答（{what}）/ no node of the cluster "
                    f"answered the {what} within {limit:g} s: {err}"
                ) from err
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
