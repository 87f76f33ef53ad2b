"""The OpenAPI description: valid 3.1, served as built, covering every API route, and true of a
live server — schemathesis fuzzes the app under waitress and every response must match it."""

import json
import re

import pytest
import schemathesis
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from schemathesis.engine import Status, StopReason, events, from_schema

from searchsvc.openapi import spec

from .conftest import SEED, serving, shared_bulletins
from .http import request

# The fuzz: every schemathesis phase (examples, coverage, fuzzing, stateful through the spec's
# links), positive and negative data, at most this many examples per operation and phase.
MAX_EXAMPLES = 60
MIN_REQUESTS = 600  # 775–940 are made (1,384 at 100 examples: 11 s more); fewer: operations or phases went missing
# Dated pages from two years besides the (undated) seed, so dates, per-year and per-month
# histograms are in the responses checked.
FUZZ_PAGES = ("2016-02-16_sohu.md", "2020-03-30_gn.md", "2020-04-01_sh.md")
FUZZ_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# Set on the fuzzed server and never given to schemathesis: every POST stops at the token check
# (401) and the corpus is never written. Set rather than unset because then the Authorization
# header schemathesis sends is actually parsed and compared; with no token the 403 comes first.
ADMIN_TOKEN = "fuzz-token-not-given"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    """A server of its own over private copies of a few pages: the fuzz cannot touch the shared
    fixtures."""
    pages = [SEED, *(page for page in shared_bulletins() if page.name in FUZZ_PAGES)]
    assert len(pages) == 1 + len(FUZZ_PAGES)
    with serving(tmp_path_factory.mktemp("openapi"), pages, admin_token=ADMIN_TOKEN) as server:
        yield server


def test_spec_is_valid_openapi_3_1():
    document = spec()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_spec_describes_every_api_route(live_server):
    def shape(path: str) -> str:  # /api/articles/<aid> and /api/articles/{id} alike
        return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", path)

    routes = {
        (shape(rule.rule), method.lower())
        for rule in live_server.app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(shape(path), method) for path, item in spec()["paths"].items() for method in item}
    assert described == routes


def test_served_spec_is_spec(live_server):
    reply = request(live_server.url, "GET", "/api/openapi.json")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json() == json.loads(json.dumps(spec()))


def test_fuzzed_server_matches_spec(fuzz_server):
    facets = request(fuzz_server.url, "GET", "/api/facets").json()["facets"]
    config = schemathesis.Config.from_dict(
        {
            "base-url": fuzz_server.url,
            "seed": 20250401,
            "workers": 1,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in FUZZ_CHECKS}},
            # Half the facet filters use values the index has, so filtering is exercised and
            # not only the 400 for an unknown value.
            "dictionaries": {
                f["name"]: {"values": [v["value"] for v in f["values"]]} for f in facets
            },
            "parameters": {
                f"query.{f['name']}": {"dictionary": f["name"], "probability": 0.5} for f in facets
            },
        }
    )
    schema = schemathesis.openapi.from_dict(spec(), config=config)
    requests, answers, failures, errors, finished = 0, set(), {}, [], None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            requests += len(recorder.interactions)
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is not None:
                    operation = recorder.cases[case_id].value.operation.label
                    answers.add((operation, interaction.response.status_code))
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure, sample = check.failure_info.failure, check.failure_info.code_sample
                        key = (recorder.label, check.name, failure.title, failure.message)
                        failures.setdefault(key, sample)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(repr(event.exception))
        elif isinstance(event, events.EngineFinished):
            finished = event
    print(f"schemathesis: {requests} requests, {len(failures)} distinct failures")
    assert not errors, "\n".join(errors)
    assert not failures, "\n\n".join(
        f"{label} [{check}] {title}\n{message}\n{sample}"
        for (label, check, title, message), sample in failures.items()
    )
    assert finished is not None and finished.stop_reason == StopReason.COMPLETED
    assert requests >= MIN_REQUESTS
    # Not only refusals: every reading operation answered for real, every admin one said 401.
    for path, item in spec()["paths"].items():
        for method in item:
            expected = 401 if method == "post" else 200
            assert (f"{method.upper()} {path}", expected) in answers, (method, path)


HAN = re.compile(r"[\u4e00-\u9fff]")
SEARCH_400 = spec()["paths"]["/api/search"]["get"]["responses"]["400"]["description"]
SEARCH_400_CODES = set(re.findall(r"\b[a-z]+_[a-z_]+\b", SEARCH_400))


@pytest.mark.parametrize(
    "params, code",
    [
        ({"q": "劳模", "sort": "size"}, "bad_sort"),
        ({"q": "劳模", "page": "0"}, "bad_page"),
        ({"q": "劳模", "per_page": "1000"}, "bad_per_page"),
        ({"q": "劳模", "from": "2025-13-01"}, "bad_from"),
        ({"q": "劳" * 10000}, "param_too_long"),
        ({"q": '"劳模'}, "unbalanced_quotes"),
        ({"q": "(劳模"}, "unbalanced_parentheses"),
        ({"q": "劳模", "format": "xml"}, "bad_format"),
        (
            {"q": "劳模", "within": ["北京", "工会", "劳动", "职工", "活动", "服务"]},
            "too_many_within",
        ),
    ],
)
def test_documented_bad_parameters_are_400_in_both_languages(live_server, params, code):
    assert code in SEARCH_400_CODES  # the case is documented …
    reply = request(live_server.url, "GET", "/api/search", **params)
    assert reply.status == 400  # … and is what the server does
    assert reply.headers["Content-Type"].startswith("application/json")
    error = reply.json()
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}
    assert error["error"]["code"] == code
    chinese, _, english = error["error"]["message"].rpartition(" / ")
    assert HAN.search(chinese), error
    assert not HAN.search(english) and re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", english), error


@pytest.mark.parametrize("path", ["/api/search", "/api/articles/000_73d2eb0e74c950a6-1"])
def test_deeply_nested_query_is_a_400(live_server, path):
    q = "(" * 250 + "劳模"  # 252 characters, well within the 500 allowed
    reply = request(live_server.url, "GET", path, q=q)
    assert reply.status == 400, reply.text
    assert reply.json()["error"]["code"] == "too_deep"
