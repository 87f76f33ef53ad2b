"""The request model's URLs: every toggle URL is the request with that one value flipped."""

from urllib.parse import parse_qs, urlsplit

from werkzeug.datastructures import MultiDict

from searchsvc.records import SearchRequest


def test_toggle_urls_flip_one_value_and_keep_the_rest():
    req = SearchRequest(q="工会 北京", page=3, sort="-date", organizer=("A", "B"),
                        district=("朝阳区",), date_from="2020", within=("劳模",))  # fmt: skip
    for facet, values in (("organizer", ["A", "C"]), ("district", ["朝阳区", "海淀区"]),
                          ("type", ["培训"])):  # fmt: skip
        for value, url in zip(values, req.toggles(facet, values), strict=True):
            assert url == req.toggled(facet, value)
            parts = urlsplit(url)
            back = SearchRequest.from_args(MultiDict(parse_qs(parts.query)))
            was = req.selected(facet)
            want = tuple(v for v in was if v != value) if value in was else (*was, value)
            assert parts.path == "/" and back.selected(facet) == want
            # Every other parameter survives; paging starts again at 1.
            for other in ("q", "sort", "date_from", "within", "organizer", "district", "type"):
                if other != facet:
                    assert getattr(back, other) == getattr(req, other), other
            assert back.page == 1
