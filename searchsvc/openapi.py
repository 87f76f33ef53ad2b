"""The JSON API described as OpenAPI 3.1: ``spec()``, served at ``GET /api/openapi.json``.

Built as plain data in this one place. Every limit is read from the module that enforces it, so
the description cannot drift from the checks; the tests validate it and fuzz a live server with
it (schemathesis), so it cannot drift from the responses either.
"""

from __future__ import annotations

import copy

from searchsvc import __version__, export, uploads
from searchsvc.bulletin import MAX_BYTES
from searchsvc.catalog import FACET_FIELDS, FACET_LIMIT, FACETS
from searchsvc.query import MAX_QUERY_CHARS, MAX_TERMS
from searchsvc.records import MAX_FILTER_VALUES, MAX_PER_PAGE, MAX_WITHIN, SORTS
from searchsvc.search import ARTICLE_ID_RE

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
STRINGS = {"type": "array", "items": {"type": "string"}}
COUNT = {"type": "integer", "minimum": 0}
# What a bad query (q=, within=) can be answered with, on every operation that takes one.
QUERY_ERRORS = (
    "bad_encoding, param_too_long, query_too_long, unbalanced_quotes, unbalanced_parentheses, "
    "too_deep, no_terms, only_exclusions, too_many_terms"
)
DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"  # what from= / to= accept (YYYY, YYYY-MM, YYYY-MM-DD)


def spec() -> dict:
    """The OpenAPI 3.1 document of the JSON API."""
    # web.py imports this module (lazily, in its route); reading its limit here, at call time,
    # keeps the import one-way whatever web.py does at the top.
    from searchsvc.web import MAX_URL_PARAM_CHARS

    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "档案检索 searchsvc",
            "version": __version__,
            "description": _t(
                "工会报纸档案全文检索的 JSON 接口。错误一律为 {error: {code, message}}，"
                "message 含中英文。",
                "Full-text search over a trade-union newspaper archive. Every error is "
                "{error: {code, message}}, the message in Chinese and English.",
            ),
        },
        "tags": [
            {"name": "search", "description": _t("检索与文章", "search and articles")},
            {"name": "admin", "description": _t("管理（需令牌）", "admin (token required)")},
            {
                "name": "meta",
                "description": _t("服务状态与接口描述", "status and this description"),
            },
        ],
        "paths": {
            "/api/search": {"get": _search_operation(MAX_URL_PARAM_CHARS)},
            "/api/articles/{id}": {"get": _article_operation()},
            "/api/facets": {"get": _facets_operation()},
            "/api/health": {"get": _health_operation()},
            "/api/openapi.json": {"get": _openapi_operation()},
            "/api/bulletins": {"post": _upload_operation()},
            "/api/reindex": {"post": _reindex_operation()},
        },
        "components": {
            "schemas": _schemas(),
            "responses": _error_responses(),
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": _t(
                        "管理令牌：服务端的 SEARCHSVC_ADMIN_TOKEN；未设置时管理接口一律 403",
                        "the server's SEARCHSVC_ADMIN_TOKEN; with none set, admin endpoints "
                        "answer 403",
                    ),
                }
            },
        },
    }
    # Some parts are shared constants (STRINGS, COUNT …): the caller gets a copy it may change.
    return copy.deepcopy(document)


def _t(zh: str, en: str) -> str:
    """A description in both languages, the way the API's own messages are written."""
    return f"{zh} / {en}"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _errors(*names: str) -> dict:
    """The shared error responses, by status code."""
    return {str(_ERROR_STATUS[name]): {"$ref": f"#/components/responses/{name}"} for name in names}


def _bad_request(codes: str) -> dict:
    """A 400 whose description names this operation's error codes."""
    return _json(_ref("Error"), _t("参数有误", "bad parameter") + f": {codes}")


def _object(properties: dict) -> dict:
    """A fixed-shape object: every listed field present, nothing else."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


# --------------------------------------------------------------------------- operations


def _search_operation(max_param_chars: int) -> dict:
    facet_params = [
        {
            "name": facet.name,
            "in": "query",
            "style": "form",
            "explode": True,
            "description": _t(
                f"{facet.label}筛选，可重复（同一维度内为“或”，不同维度间为“与”）；"
                "索引中没有的值为 400 unknown_facet_value，可选值见 /api/facets",
                f"filter by {facet.name}, repeatable (OR within a facet, AND across facets); "
                "a value the index does not have is a 400 unknown_facet_value; "
                "GET /api/facets lists them",
            ),
            "schema": {
                "type": "array",
                "maxItems": MAX_FILTER_VALUES,
                "items": {"type": "string", "maxLength": max_param_chars},
            },
        }
        for facet in FACETS
    ]
    date_params = [
        {
            "name": name,
            "in": "query",
            "description": _t(
                f"日期{word}（含），YYYY、YYYY-MM 或 YYYY-MM-DD；无日期的文章不在任何范围内",
                f"dates {name} (inclusive) as YYYY, YYYY-MM or YYYY-MM-DD; undated articles "
                "fall outside every range",
            ),
            "schema": {"type": "string", "pattern": DATE},
            "example": example,
        }
        for name, word, example in (("from", "起", "2025-01"), ("to", "止", "2025-12-31"))
    ]
    formats = ["json", *export.FORMATS]
    return {
        "operationId": "search",
        "tags": ["search"],
        "summary": _t("检索文章", "search articles"),
        "description": _t(
            "检索结果以文章为单位，附分面计数、时间分布与“您是不是要找”；format=csv/jsonl "
            f"导出整个结果列表（最多 {export.EXPORT_MAX} 篇）",
            "results are articles, with facet counts, a histogram over time and a "
            f"did-you-mean; format=csv or jsonl exports the whole result list (at most "
            f"{export.EXPORT_MAX} articles)",
        ),
        "parameters": [
            {
                "name": "q",
                "in": "query",
                "description": _t(
                    f"检索式，最多 {MAX_QUERY_CHARS} 字、{MAX_TERMS} 个词：词与词为“与”，"
                    '"短语"、-排除、OR、( )、标题:/title:、记者:/reporter:；空则按筛选列出',
                    f"the query, at most {MAX_QUERY_CHARS} characters and {MAX_TERMS} terms: "
                    'words are ANDed; "phrase", -exclude, OR, ( ), title:, reporter:; empty '
                    "lists what the filters select",
                ),
                "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
                "example": "劳模工匠",
            },
            *facet_params,
            *date_params,
            {
                "name": "sort",
                "in": "query",
                "description": _t(
                    "排序：relevance 相关度、-date 新→旧、date 旧→新",
                    "order: relevance, -date newest first, date oldest first",
                ),
                "schema": {"type": "string", "enum": list(SORTS), "default": SORTS[0]},
            },
            {
                "name": "page",
                "in": "query",
                "description": _t("页码", "page number"),
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": "per_page",
                "in": "query",
                "description": _t("每页篇数", "articles per page"),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10},
            },
            {
                "name": "within",
                "in": "query",
                "style": "form",
                "explode": True,
                "description": _t(
                    f"在结果中检索（二次检索）：先前的检索式，可重复，最多 {MAX_WITHIN} 个；"
                    "结果须同时满足 q 与每个 within",
                    f"search within results: earlier queries, repeatable, at most {MAX_WITHIN}; "
                    "the result is the articles matching q and every within query",
                ),
                "schema": {
                    "type": "array",
                    "maxItems": MAX_WITHIN,
                    "items": {"type": "string", "maxLength": MAX_QUERY_CHARS},
                },
                "example": ["北京"],
            },
            {
                "name": "format",
                "in": "query",
                "description": _t(
                    f"json 为一页结果；csv（UTF-8 带 BOM）或 jsonl 导出全部结果，最多 "
                    f"{export.EXPORT_MAX} 篇，作为附件下载",
                    "json is one page of results; csv (UTF-8 with a BOM) or jsonl exports "
                    f"every result, at most {export.EXPORT_MAX} articles, as an attachment",
                ),
                "schema": {"type": "string", "enum": formats, "default": formats[0]},
            },
        ],
        "responses": {
            "200": {
                "description": _t("检索结果或导出文件", "the results, or the export file"),
                "headers": {
                    "X-Total-Count": {
                        "description": _t(
                            "（仅导出）结果总篇数，可能多于文件中的行数",
                            "(exports only) the total number of articles, which may exceed "
                            "the rows in the file",
                        ),
                        "schema": {"type": "integer", "minimum": 0},
                    },
                    "Content-Disposition": {
                        "description": _t(
                            "（仅导出）attachment 与文件名", "(exports only) attachment"
                        ),
                        "schema": {"type": "string", "pattern": "^attachment"},
                    },
                },
                "content": {
                    JSON: {"schema": _ref("SearchResponse")},
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": _t(
                                "UTF-8 带 BOM，首行为列名：" + "、".join(export.COLUMNS),
                                "UTF-8 with a BOM; the first row names the columns",
                            ),
                        }
                    },
                    "application/x-ndjson": {
                        "schema": {
                            "type": "string",
                            "description": _t(
                                "每行一篇文章的 JSON 对象", "one JSON object per article per line"
                            ),
                        }
                    },
                },
                "links": {
                    "firstResult": {
                        "operationId": "getArticle",
                        "parameters": {"id": "$response.body#/results/0/id"},
                        "description": _t("第一篇结果的全文", "the first result in full"),
                    }
                },
            },
            "400": _bad_request(
                f"{QUERY_ERRORS}, bad_page, bad_per_page, bad_sort, bad_from, bad_to, "
                "bad_date_range, too_many_values, too_many_within, unknown_facet_value, bad_format"
            ),
            **_errors("Timeout"),
        },
    }


def _article_operation() -> dict:
    return {
        "operationId": "getArticle",
        "tags": ["search"],
        "summary": _t("一篇文章的全文", "one article in full"),
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": _t("文章编号（检索结果的 id）", "the article id (a result's id)"),
                "schema": {"type": "string", "pattern": ARTICLE_ID_RE.pattern},
            },
            {
                "name": "q",
                "in": "query",
                "description": _t("高亮这个检索式命中的词", "highlight what this query finds"),
                "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
            },
        ],
        "responses": {
            "200": _json(
                _ref("Article"),
                _t("文章记录与全部段落", "the article's record and every paragraph"),
                links={
                    name: {
                        "operationId": "getArticle",
                        "parameters": {"id": f"$response.body#/neighbours/{name}/id"},
                        "description": _t(f"同版{word}一篇", f"the {name} article on the page"),
                    }
                    for name, word in (("prev", "上"), ("next", "下"))
                },
            ),
            "400": _bad_request(QUERY_ERRORS),
            **_errors("NotFound"),
        },
    }


def _facets_operation() -> dict:
    return {
        "operationId": "facets",
        "tags": ["search"],
        "summary": _t("全部分面值及篇数", "every facet value with its article count"),
        "responses": {
            "200": _json(
                _object({"facets": {"type": "array", "items": _ref("FacetList")}}),
                _t("索引中的全部分面值", "every facet value in the index"),
            ),
            **_errors("BadEncoding"),
        },
    }


def _health_operation() -> dict:
    return {
        "operationId": "health",
        "tags": ["meta"],
        "summary": _t("索引状态", "index status"),
        "responses": {
            "200": _json(_ref("Health"), _t("索引计数、大小与同步状态", "counts, size, syncs")),
            **_errors("BadEncoding"),
        },
    }


def _openapi_operation() -> dict:
    return {
        "operationId": "openapi",
        "tags": ["meta"],
        "summary": _t("本接口描述（OpenAPI 3.1）", "this description (OpenAPI 3.1)"),
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["openapi", "info", "paths"],
                    "properties": {"openapi": {"const": OPENAPI_VERSION}},
                },
                _t("OpenAPI 文档", "the OpenAPI document"),
            ),
            **_errors("BadEncoding"),
        },
    }


WAIT_PARAM = {
    "name": "wait",
    "in": "query",
    "description": _t(
        f"1：等待同步完成（最多 {uploads.SYNC_WAIT_SECONDS:g} 秒）；0：立即以 202 应答",
        f"1: wait for the sync (at most {uploads.SYNC_WAIT_SECONDS:g} s); 0: answer 202 at once",
    ),
    "schema": {"type": "string", "enum": ["1", "0"], "default": "1"},
}


def _upload_outcome(status: str) -> dict:
    """What an upload answers (``uploads.outcome``): the saved file, and why it failed if it did."""
    failed = status in ("rejected", "error")
    return _object(
        {
            "file": {"type": "string"},
            "replaced": {"type": "boolean"},
            "articles": {"type": "array", "items": _ref("UploadedArticle")},
            "status": {"const": status},
            **({"error": _ref("ErrorDetail")} if failed else {}),
        }
    )


def _upload_operation() -> dict:
    return {
        "operationId": "uploadBulletin",
        "tags": ["admin"],
        "summary": _t("上传一个版面文件并同步", "upload one bulletin and sync"),
        "description": _t(
            "先按索引的读法检查，再原子地存入语料；坏文件给出原因，不会落盘",
            "read the way the index reads it before it is saved atomically into the corpus; "
            "a bad file is refused with the reason and never lands",
        ),
        "security": [{"adminToken": []}],
        "parameters": [
            {
                "name": "name",
                "in": "query",
                "description": _t(
                    "以原始请求体上传时的文件名（.md 或 .txt，不含路径）",
                    "the file name when the body is the raw file (.md or .txt, no folders)",
                ),
                "schema": {"type": "string", "maxLength": uploads.MAX_NAME_CHARS},
            },
            {
                "name": "replace",
                "in": "query",
                "description": _t("1：替换同名文件", "1: replace a file of the same name"),
                "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
            },
            WAIT_PARAM,
        ],
        "requestBody": {
            "required": True,
            "description": _t(
                f"版面文件，最大 {MAX_BYTES} 字节",
                f"the bulletin, at most {MAX_BYTES} bytes",
            ),
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        "responses": {
            "201": _json(_upload_outcome("indexed"), _t("已存入并索引", "saved and indexed")),
            "202": _json(
                _upload_outcome("queued"), _t("已存入，同步排队中", "saved; the sync is queued")
            ),
            "400": _bad_request(
                "bad_encoding, param_too_long, no_file, no_filename, bad_filename, bad_bulletin"
            ),
            **_errors("Unauthorized", "Forbidden"),
            "409": _json(
                _ref("Error"),
                _t("语料中已有同名文件（exists），加 replace=1 替换", "exists: add replace=1"),
            ),
            **_errors("TooLarge"),
            "422": _json(
                _upload_outcome("rejected"),
                _t("已存入但同步拒收（rejected）", "saved but the sync rejected it (rejected)"),
            ),
            "503": _json(_upload_outcome("error"), _t("同步失败（sync_failed）", "sync_failed")),
        },
    }


def _reindex_operation() -> dict:
    return {
        "operationId": "reindex",
        "tags": ["admin"],
        "summary": _t("同步语料到索引", "sync the corpus into the index"),
        "security": [{"adminToken": []}],
        "parameters": [WAIT_PARAM],
        "responses": {
            "200": _json(_ref("SyncReport"), _t("同步完成", "the sync is done")),
            "202": _json(
                _object(
                    {
                        "status": {"const": "queued"},
                        "ticket": {"type": "integer", "minimum": 1},
                    }
                ),
                _t("同步排队中", "the sync is queued"),
            ),
            "400": _bad_request("bad_encoding, param_too_long"),
            **_errors("Unauthorized", "Forbidden"),
            "503": _json(_ref("Error"), _t("同步失败（sync_failed）", "sync_failed")),
        },
    }


# --------------------------------------------------------------------------- components

_ERROR_STATUS = {
    "BadEncoding": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "TooLarge": 413,
    "Timeout": 503,
}


def _error_responses() -> dict:
    described = {
        "BadEncoding": _t("网址参数不是 UTF-8（bad_encoding）", "query string not UTF-8"),
        "Unauthorized": _t(
            "缺少或错误的管理令牌（unauthorized）", "missing or wrong admin token (unauthorized)"
        ),
        "Forbidden": _t(
            "服务端未设置管理令牌（admin_disabled）", "no admin token is set (admin_disabled)"
        ),
        "NotFound": _t("没有这篇文章（not_found）", "no such article (not_found)"),
        "TooLarge": _t(
            "文件过大（too_large、request_entity_too_large）",
            "file too large (too_large, request_entity_too_large)",
        ),
        "Timeout": _t(
            "检索超时（timeout），请缩小检索范围", "the query ran out of time (timeout): narrow it"
        ),
    }
    return {name: _json(_ref("Error"), text) for name, text in described.items()}


def _schemas() -> dict:
    names = {"reporters": STRINGS, "correspondents": STRINGS, "photographers": STRINGS}
    facet_fields = {name: STRINGS for name in FACET_FIELDS}
    date = {
        "type": ["string", "null"],
        "pattern": r"^\d{4}-\d{2}-\d{2}$",
        "description": _t("YYYY-MM-DD，未知为 null", "YYYY-MM-DD, null when unknown"),
    }
    neighbour = {
        "oneOf": [_ref("Neighbour"), {"type": "null"}],
        "description": _t("同一版面上的前后文章，没有为 null", "on the same page; null at an end"),
    }
    return {
        "Error": _object({"error": _ref("ErrorDetail")}),
        "ErrorDetail": _object(
            {
                "code": {
                    "type": "string",
                    "pattern": "^[a-z_]+$",
                    "description": _t("稳定的错误代码", "a stable error code"),
                },
                "message": {
                    "type": "string",
                    "minLength": 1,
                    "description": _t("中英文说明", "what to change, in both languages"),
                },
            }
        ),
        "Result": _object(
            {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "date": date,
                **names,
                "source": {"type": "string", "description": _t("版面文件", "bulletin file")},
                **facet_fields,
                "matched_paragraphs": COUNT,
                "snippet": {
                    "type": "string",
                    "description": _t(
                        "已转义的 HTML，命中处为 <mark>", "escaped HTML, hits in <mark>"
                    ),
                },
                "url": {"type": "string", "pattern": "^/articles/"},
            }
        ),
        "FacetValue": _object(
            {"value": {"type": "string"}, "count": COUNT, "selected": {"type": "boolean"}}
        ),
        "FacetList": _object(
            {
                "name": {"type": "string", "enum": [facet.name for facet in FACETS]},
                "label": {"type": "string", "enum": [facet.label for facet in FACETS]},
                "values": {
                    "type": "array",
                    "items": _ref("FacetValue"),
                    "description": _t(
                        f"检索结果中最多列 {FACET_LIMIT} 个，已选的总会列出",
                        f"at most {FACET_LIMIT} in a search response; selected ones always",
                    ),
                },
            }
        ),
        "Bar": _object(
            {
                "period": {
                    "type": "string",
                    "pattern": r"^\d{4}(-\d{2})?$",
                    "description": _t("年 YYYY 或月 YYYY-MM", "a year or a month"),
                },
                "count": COUNT,
            }
        ),
        "SearchResponse": _object(
            {
                "query": {
                    "type": "string",
                    "description": _t("规范化后的检索式", "the query, normalised"),
                },
                "total": COUNT,
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "took_ms": {"type": "number", "minimum": 0},
                "results": {"type": "array", "items": _ref("Result"), "maxItems": MAX_PER_PAGE},
                "relaxed": {
                    "type": "boolean",
                    "description": _t(
                        "全部词命中太少，已放宽为大部分词", "too few had every word: most will do"
                    ),
                },
                "facets": {"type": "array", "items": _ref("FacetList")},
                "histogram": {
                    "type": "array",
                    "items": _ref("Bar"),
                    "description": _t("按年或按月的篇数", "articles per year or per month"),
                },
                "suggestion": {
                    "type": ["string", "null"],
                    "description": _t("无结果时建议的检索式", "a query to try when none found"),
                },
                "within": {
                    "type": "array",
                    "items": {"type": "string"},
                    "maxItems": MAX_WITHIN,
                    "description": _t("先前的检索式，规范化", "the earlier queries, normalised"),
                },
            }
        ),
        "Neighbour": _object({"id": {"type": "string"}, "title": {"type": "string"}}),
        "Article": _object(
            {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "date": date,
                "source": {"type": "string"},
                "ordinal": {
                    "type": "integer",
                    "minimum": 1,
                    "description": _t("在版面上的序号", "its place on the page"),
                },
                "dateline": {"type": "string", "description": _t("电头", "dateline")},
                **names,
                "paper": {"type": "string"},
                "page": {"type": "string"},
                **facet_fields,
                "query": {"type": "string"},
                "paragraphs": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": _t(
                        "各段，已转义的 HTML，命中处为 <mark>", "every paragraph, escaped HTML"
                    ),
                },
                "neighbours": _object({"prev": neighbour, "next": neighbour}),
            }
        ),
        "Rejected": _object({"file": {"type": "string"}, "reason": {"type": "string"}}),
        "Health": _object(
            {
                "status": {"const": "ok"},
                "generation": COUNT,
                "files": COUNT,
                "articles": COUNT,
                "paragraphs": COUNT,
                "index_bytes": COUNT,
                "last_sync": {
                    "type": ["string", "null"],
                    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$",
                    "description": _t(
                        "最近一次提交的本地时间，如 2025-04-01T08:00:00+0800",
                        "the last commit, local time",
                    ),
                },
                "rejected": {"type": "array", "items": _ref("Rejected")},
                "sync": _object(
                    {"pending": COUNT, "last_error": {"type": ["string", "null"]}},
                ),
            }
        ),
        "UploadedArticle": _object(
            {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "url": {"type": "string", "pattern": "^/articles/"},
            }
        ),
        "SyncReport": _object(
            {
                "status": {"const": "done"},
                "added": STRINGS,
                "changed": STRINGS,
                "removed": STRINGS,
                "rejected": {"type": "array", "items": _ref("Rejected")},
                "articles": COUNT,
                "paragraphs": COUNT,
                "seconds": {"type": "number", "minimum": 0},
                "rebuilt": {"type": "boolean"},
                "wrote": {"type": "boolean"},
            }
        ),
    }
