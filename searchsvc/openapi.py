"""The JSON API described as OpenAPI 3.1: ``spec()``, served at ``GET /api/openapi.json``.

The component schemas are generated (pydantic's ``TypeAdapter``) from the records the API
returns, and the search parameters from ``SearchRequest``'s fields; what is written here by hand
is what no type says: the bilingual descriptions, examples and formats (``DETAILS``) and the
operations. Every limit is read from the module that enforces it. The tests validate the document
and fuzz a live server with it (schemathesis), so it cannot drift from the responses either.
"""

from __future__ import annotations

import copy
import dataclasses
import functools

from pydantic import TypeAdapter

from searchsvc import __version__
from searchsvc.article import ArticleRecord
from searchsvc.catalog import FACET_LIMIT, FACETS
from searchsvc.health import Health
from searchsvc.index import SyncReport
from searchsvc.openapi_ops import ERROR_STATUS, JSON, operations, t
from searchsvc.records import MAX_PER_PAGE, MAX_WITHIN, Neighbour, Result, SearchResponse

OPENAPI_VERSION = "3.1.0"
STRINGS = {"type": "array", "items": {"type": "string"}}
COUNT = {"type": "integer", "minimum": 0}
DATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$",
        "description": t("YYYY-MM-DD，未知为 null", "YYYY-MM-DD, null when unknown")}  # fmt: skip
# What no type says, per schema and field: merged into the generated property.
DETAILS = {
    "Result": {
        "date": DATE,
        "source": {"description": t("版面文件", "bulletin file")},
        "matched_paragraphs": COUNT,
        "snippet": {
            "description": t("已转义的 HTML，命中处为 <mark>", "escaped HTML, hits in <mark>")
        },
        "url": {"pattern": "^/articles/"},
    },
    "FacetValue": {
        "count": COUNT,
        "url": {
            "pattern": r"^/\?",
            "description": t(
                "勾选或取消这个值的检索页地址", "the search page with this value toggled"
            ),
        },
    },  # fmt: skip
    "FacetList": {
        "name": {"enum": [facet.name for facet in FACETS]},
        "label": {"enum": [facet.label for facet in FACETS]},
        "values": {
            "description": t(
                f"检索结果中最多列 {FACET_LIMIT} 个，已选的总会列出",
                f"at most {FACET_LIMIT} in a search response; selected ones always",
            )
        },
    },  # fmt: skip
    "Bar": {
        "period": {
            "pattern": r"^\d{4}(-\d{2})?$",
            "description": t("年 YYYY 或月 YYYY-MM", "a year or a month"),
        },
        "count": COUNT,
    },  # fmt: skip
    "SearchResponse": {
        "query": {"description": t("规范化后的检索式", "the query, normalised")},
        "total": COUNT,
        "page": {"minimum": 1},
        "per_page": {"minimum": 1, "maximum": MAX_PER_PAGE},
        "took_ms": {"minimum": 0},
        "results": {"maxItems": MAX_PER_PAGE},
        "relaxed": {
            "description": t(
                "全部词命中太少，已放宽为大部分词", "too few had every word: most will do"
            )
        },
        "histogram": {"description": t("按年或按月的篇数", "articles per year or per month")},
        "suggestion": {
            "type": ["string", "null"],
            "description": t("无结果时建议的检索式", "a query to try when none found"),
        },
        "within": {
            "maxItems": MAX_WITHIN,
            "description": t("先前的检索式，规范化", "the earlier queries, normalised"),
        },
    },  # fmt: skip
    "Article": {
        "date": DATE,
        "ordinal": {"minimum": 1, "description": t("在版面上的序号", "its place on the page")},
        "dateline": {"description": t("电头", "dateline")},
        "paragraphs": {
            "description": t(
                "各段，已转义的 HTML，命中处为 <mark>", "every paragraph, escaped HTML"
            )
        },
    },  # fmt: skip
    "SyncReport": {"articles": COUNT, "paragraphs": COUNT, "seconds": {"minimum": 0}},
    "Health": {
        "status": {"const": "ok"},
        "generation": COUNT,
        "files": COUNT,
        "articles": COUNT,
        "paragraphs": COUNT,
        "index_bytes": COUNT,
        "last_sync": {
            "type": ["string", "null"],
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$",
            "description": t(
                "最近一次提交的本地时间，如 2025-04-01T08:00:00+0800", "the last commit, local time"
            ),
        },
        "sync": {"$ref": "#/components/schemas/SyncState"},
    },
    "SyncState": {"pending": COUNT},
}
NEIGHBOUR = {"oneOf": [{"$ref": "#/components/schemas/Neighbour"}, {"type": "null"}],
             "description": t("同一版面上的前后文章，没有为 null", "on the same page; null at an end")}  # fmt: skip


def spec() -> dict:
    """The OpenAPI 3.1 document of the JSON API (a fresh copy the caller may change)."""
    return copy.deepcopy(_document())


@functools.cache
def _document() -> dict:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "档案检索 searchsvc",
            "version": __version__,
            "description": t(
                "工会报纸档案全文检索的 JSON 接口。错误一律为 {error: {code, message}}，"
                "message 含中英文。",
                "Full-text search over a trade-union newspaper archive. Every error is "
                "{error: {code, message}}, the message in Chinese and English.",
            ),
        },
        "tags": [
            {"name": "search", "description": t("检索与文章", "search and articles")},
            {"name": "admin", "description": t("管理（需令牌）", "admin (token required)")},
            {"name": "meta", "description": t("服务状态与接口描述", "status and this description")},
        ],
        "paths": operations(OPENAPI_VERSION),
        "components": {
            "schemas": _schemas(),
            "responses": _error_responses(),
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": t(
                        "管理令牌：服务端的 SEARCHSVC_ADMIN_TOKEN；未设置时管理接口一律 403",
                        "the server's SEARCHSVC_ADMIN_TOKEN; with none set, admin endpoints "
                        "answer 403",
                    ),
                }
            },
        },
    }


def _schemas() -> dict:
    records = {"SearchResponse": SearchResponse, "Article": ArticleRecord,
               "Neighbour": Neighbour, "SyncReport": SyncReport, "Health": Health}  # fmt: skip
    _, generated = TypeAdapter.json_schemas(
        [(name, "serialization", TypeAdapter(cls)) for name, cls in records.items()],
        ref_template="#/components/schemas/{model}",
    )
    schemas = generated["$defs"]
    schemas["Article"] = schemas.pop("ArticleRecord")
    article = schemas["Article"]["properties"]
    article["paragraphs"] = STRINGS  # the record counts them; the API shows them
    article["query"] = {"type": "string"}
    article["neighbours"] = _closed({"prev": NEIGHBOUR, "next": NEIGHBOUR})
    report = schemas["SyncReport"]["properties"]
    report.update(status={"const": "done"}, wrote={"type": "boolean"})
    for name, schema in schemas.items():
        _close(schema, _internal(name), DETAILS.get(name, {}))
    return {
        **schemas,
        "Error": _closed({"error": {"$ref": "#/components/schemas/ErrorDetail"}}),
        "ErrorDetail": _closed(
            {
                "code": {
                    "type": "string",
                    "pattern": "^[a-z_]+$",
                    "description": t("稳定的错误代码", "a stable error code"),
                },
                "message": {
                    "type": "string",
                    "minLength": 1,
                    "description": t("中英文说明", "what to change, in both languages"),
                },
            }
        ),  # fmt: skip
        "UploadedArticle": _closed(
            {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "url": {"type": "string", "pattern": "^/articles/"},
            }
        ),  # fmt: skip
    }


def _internal(name: str) -> set[str]:
    """Fields a record keeps to itself (``records.INTERNAL``): never in the JSON."""
    cls = {"Result": Result}.get(name)
    if cls is None:
        return set()
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get("internal")}


def _close(schema: dict, hidden: set[str], details: dict) -> None:
    """Every listed field present, nothing else; pydantic's titles and defaults dropped (the API
    always sends every field), the hand-written details merged in."""
    schema.pop("title", None)
    props = schema["properties"]
    for name in hidden:
        props.pop(name)
    for name, prop in props.items():
        prop.pop("title", None)
        prop.pop("default", None)
        extra = details.get(name, {})
        if extra.keys() & {"type", "$ref"}:  # the hand-written shape replaces pydantic's
            prop.pop("anyOf", None)
        prop.update(extra)
    schema.update(required=list(props), additionalProperties=False)


def _closed(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}  # fmt: skip


def _error_responses() -> dict:
    described = {
        "BadEncoding": t("网址参数不是 UTF-8（bad_encoding）", "query string not UTF-8"),
        "Unauthorized": t("缺少或错误的管理令牌（unauthorized）", "missing or wrong admin token (unauthorized)"),
        "Forbidden": t("服务端未设置管理令牌（admin_disabled）", "no admin token is set (admin_disabled)"),
        "NotFound": t("没有这篇文章（not_found）", "no such article (not_found)"),
        "TooLarge": t("文件过大（too_large、request_entity_too_large）",
                      "file too large (too_large, request_entity_too_large)"),
        "Timeout": t("检索超时（timeout），请缩小检索范围", "the query ran out of time (timeout): narrow it"),
    }  # fmt: skip
    assert set(described) == set(ERROR_STATUS)
    error = {"$ref": "#/components/schemas/Error"}
    return {name: {"description": text, "content": {JSON: {"schema": error}}}
            for name, text in described.items()}  # fmt: skip
