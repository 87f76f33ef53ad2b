"""A script that knows only the published API description finds every seed article by facet.

It reads ``/api/openapi.json`` for where to look, lists the facet values from ``/api/facets``,
then pages through ``/api/search`` filtered by each organizer and each district.
"""

from searchsvc import bulletin

from .conftest import SEED
from .http import request


def fetch(base: str, path: str, **params) -> dict:
    reply = request(base, "GET", path, **params)
    assert reply.status == 200
    return reply.json()


def all_ids(base: str, search_path: str, params: dict, per_page: int) -> list[str]:
    found, page = [], 1
    while True:
        data = fetch(base, search_path, **params, page=page, per_page=per_page)
        found += [r["id"] for r in data["results"]]
        if page * per_page >= data["total"]:
            return found
        page += 1


def test_every_seed_article_is_found_by_organizer_and_by_district(live_server):
    base = live_server.url
    spec = fetch(base, "/api/openapi.json")
    search = spec["paths"]["/api/search"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert {"organizer", "district", "page", "per_page"} <= set(params)
    per_page = params["per_page"]["schema"]["maximum"]
    assert "/api/facets" in spec["paths"]

    seed_ids = {a.id for a in bulletin.read(SEED, SEED.parent).articles}
    facets = {f["name"]: f["values"] for f in fetch(base, "/api/facets")["facets"]}
    for facet in ("organizer", "district"):
        by_value: dict[str, list[str]] = {}
        for entry in facets[facet]:
            ids = all_ids(base, "/api/search", {facet: entry["value"]}, per_page)
            assert len(ids) == len(set(ids)) == entry["count"]  # no article twice, none missing
            by_value[entry["value"]] = ids
        found = {aid for ids in by_value.values() for aid in ids}
        assert seed_ids <= found, f"{facet}: {seed_ids - found} not reachable"
    # The seed's own values lead to its articles (the rules' answers, as in test_facets).
    assert f"{SEED.stem}-5" in all_ids(base, "/api/search", {"district": "昌平区"}, per_page)
    assert f"{SEED.stem}-1" in all_ids(base, "/api/search", {"organizer": "北京市总工会"}, per_page)
