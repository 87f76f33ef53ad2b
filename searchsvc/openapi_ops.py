"""The operations of the OpenAPI description (``openapi.py`` holds the schemas): paths,
parameters and responses, with their bilingual descriptions written by hand. The search
parameters are derived from ``SearchRequest``'s fields; every limit comes from where it is
enforced."""

from __future__ import annotations

from dataclasses import fields

from searchsvc import export, uploads
from searchsvc.bulletin import ARTICLE_ID_RE, MAX_BYTES
from searchsvc.catalog import FACETS
from searchsvc.query import MAX_QUERY_CHARS, MAX_TERMS
from searchsvc.records import (
    MAX_FILTER_VALUES,
    MAX_PER_PAGE,
    MAX_URL_PARAM_CHARS,
    MAX_WITHIN,
    SORTS,
    SearchRequest,
    param_name,
    repeatable,
)

JSON = "application/json"
ERROR_STATUS = {"BadEncoding": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404,
                "TooLarge": 413, "Timeout": 503}  # fmt: skip
# What a bad query (q=, within=) can be answered with, on every operation that takes one.
QUERY_ERRORS = (
    "bad_encoding, param_too_long, query_too_long, unbalanced_quotes, unbalanced_parentheses, "
    "too_deep, no_terms, only_exclusions, too_many_terms"
)
DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"  # what from= / to= accept (YYYY, YYYY-MM, YYYY-MM-DD)


def t(zh: str, en: str) -> str:
    """A description in both languages, the way the API's own messages are written."""
    return f"{zh} / {en}"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _errors(*names: str) -> dict:
    return {str(ERROR_STATUS[name]): {"$ref": f"#/components/responses/{name}"} for name in names}


def _bad_request(codes: str) -> dict:
    return _json(_ref("Error"), t("参数有误", "bad parameter") + f": {codes}")


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}  # fmt: skip


def _search_param_texts() -> dict[str, tuple[str, dict]]:
    """Per search parameter: its description and what its schema says beyond its type."""
    facets = {
        facet.name: (
            t(f"{facet.label}筛选，可重复（同一维度内为“或”，不同维度间为“与”）；"
              "索引中没有的值为 400 unknown_facet_value，可选值见 /api/facets",
              f"filter by {facet.name}, repeatable (OR within a facet, AND across facets); a "
              "value the index does not have is a 400 unknown_facet_value; GET /api/facets "
              "lists them"),
            {"maxItems": MAX_FILTER_VALUES},
        )
        for facet in FACETS
    }  # fmt: skip
    dates = {
        name: (
            t(f"日期{word}（含），YYYY、YYYY-MM 或 YYYY-MM-DD；无日期的文章不在任何范围内",
              f"dates {name} (inclusive) as YYYY, YYYY-MM or YYYY-MM-DD; undated articles fall "
              "outside every range"),
            {"pattern": DATE, "example": example},
        )
        for name, word, example in (("from", "起", "2025-01"), ("to", "止", "2025-12-31"))
    }  # fmt: skip
    return {
        "q": (t(f"检索式，最多 {MAX_QUERY_CHARS} 字、{MAX_TERMS} 个词：词与词为“与”，"
                '"短语"、-排除、OR、( )、标题:/title:、记者:/reporter:；空则按筛选列出',
                f"the query, at most {MAX_QUERY_CHARS} characters and {MAX_TERMS} terms: words "
                'are ANDed; "phrase", -exclude, OR, ( ), title:, reporter:; empty lists what '
                "the filters select"),
              {"maxLength": MAX_QUERY_CHARS, "example": "劳模工匠"}),
        "page": (t("页码", "page number"), {"minimum": 1}),
        "per_page": (t("每页篇数", "articles per page"), {"minimum": 1, "maximum": MAX_PER_PAGE}),
        "sort": (t("排序：relevance 相关度、-date 新→旧、date 旧→新",
                   "order: relevance, -date newest first, date oldest first"),
                 {"enum": list(SORTS)}),
        **facets,
        **dates,
        "within": (t(f"在结果中检索（二次检索）：先前的检索式，可重复，最多 {MAX_WITHIN} 个；"
                     "结果须同时满足 q 与每个 within",
                     f"search within results: earlier queries, repeatable, at most "
                     f"{MAX_WITHIN}; the result is the articles matching q and every within "
                     "query"),
                   {"maxItems": MAX_WITHIN, "itemMaxLength": MAX_QUERY_CHARS,
                    "example": ["北京"]}),
    }  # fmt: skip


def search_parameters() -> list[dict]:
    """``SearchRequest``'s fields as OpenAPI query parameters."""
    texts = _search_param_texts()
    params = []
    for f in fields(SearchRequest):
        name = param_name(f)
        description, extra = texts[name]
        extra = dict(extra)
        example = extra.pop("example", None)
        if repeatable(f):
            item_max = extra.pop("itemMaxLength", MAX_URL_PARAM_CHARS)
            schema = {"type": "array", **extra, "items": {"type": "string", "maxLength": item_max}}
            param = {"name": name, "in": "query", "style": "form", "explode": True}
        else:
            kind = "integer" if f.type == "int" else "string"
            schema = {"type": kind, **extra}
            if f.default != "":
                schema["default"] = f.default
            param = {"name": name, "in": "query"}
        param.update(description=description, schema=schema)
        if example is not None:
            param["example"] = example
        params.append(param)
    return params


EXPORT_HEADERS = {
    "X-Total-Count": {
        "description": t(
            "（仅导出）结果总篇数，可能多于文件中的行数",
            "(exports only) the total number of articles, which may exceed the rows in the file",
        ),
        "schema": {"type": "integer", "minimum": 0},
    },
    "Content-Disposition": {
        "description": t("（仅导出）attachment 与文件名", "(exports only) attachment"),
        "schema": {"type": "string", "pattern": "^attachment"},
    },
}


def _search_operation() -> dict:
    formats = ["json", *export.FORMATS]
    return {
        "operationId": "search",
        "tags": ["search"],
        "summary": t("检索文章", "search articles"),
        "description": t(
            "检索结果以文章为单位，附分面计数、时间分布与“您是不是要找”；format=csv/jsonl "
            f"导出整个结果列表（最多 {export.EXPORT_MAX} 篇）",
            "results are articles, with facet counts, a histogram over time and a "
            f"did-you-mean; format=csv or jsonl exports the whole result list (at most "
            f"{export.EXPORT_MAX} articles)",
        ),
        "parameters": [
            *search_parameters(),
            {
                "name": "format",
                "in": "query",
                "description": t(
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
                "description": t("检索结果或导出文件", "the results, or the export file"),
                "headers": EXPORT_HEADERS,
                "content": {
                    JSON: {"schema": _ref("SearchResponse")},
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": t(
                                "UTF-8 带 BOM，首行为列名：" + "、".join(export.COLUMNS),
                                "UTF-8 with a BOM; the first row names the columns",
                            ),
                        }
                    },
                    "application/x-ndjson": {
                        "schema": {
                            "type": "string",
                            "description": t(
                                "每行一篇文章的 JSON 对象", "one JSON object per article per line"
                            ),
                        }
                    },
                },
                "links": {
                    "firstResult": {
                        "operationId": "getArticle",
                        "parameters": {"id": "$response.body#/results/0/id"},
                        "description": t("第一篇结果的全文", "the first result in full"),
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
        "summary": t("一篇文章的全文", "one article in full"),
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": t("文章编号（检索结果的 id）", "the article id (a result's id)"),
                "schema": {"type": "string", "pattern": ARTICLE_ID_RE.pattern},
            },
            {
                "name": "q",
                "in": "query",
                "description": t("高亮这个检索式命中的词", "highlight what this query finds"),
                "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
            },
        ],
        "responses": {
            "200": _json(
                _ref("Article"),
                t("文章记录与全部段落", "the article's record and every paragraph"),
                links={
                    name: {
                        "operationId": "getArticle",
                        "parameters": {"id": f"$response.body#/neighbours/{name}/id"},
                        "description": t(f"同版{word}一篇", f"the {name} article on the page"),
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
        "summary": t("全部分面值及篇数", "every facet value with its article count"),
        "responses": {
            "200": _json(
                _object({"facets": {"type": "array", "items": _ref("FacetList")}}),
                t("索引中的全部分面值", "every facet value in the index"),
            ),
            **_errors("BadEncoding"),
        },
    }


def _health_operation() -> dict:
    return {
        "operationId": "health",
        "tags": ["meta"],
        "summary": t("索引状态", "index status"),
        "responses": {
            "200": _json(_ref("Health"), t("索引计数、大小与同步状态", "counts, size, syncs")),
            **_errors("BadEncoding"),
        },
    }


def _openapi_operation(version: str) -> dict:
    return {
        "operationId": "openapi",
        "tags": ["meta"],
        "summary": t("本接口描述（OpenAPI 3.1）", "this description (OpenAPI 3.1)"),
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["openapi", "info", "paths"],
                    "properties": {"openapi": {"const": version}},
                },
                t("OpenAPI 文档", "the OpenAPI document"),
            ),
            **_errors("BadEncoding"),
        },
    }


WAIT_PARAM = {
    "name": "wait",
    "in": "query",
    "description": t(
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
        "summary": t("上传一个版面文件并同步", "upload one bulletin and sync"),
        "description": t(
            "先按索引的读法检查，再原子地存入语料；坏文件给出原因，不会落盘",
            "read the way the index reads it before it is saved atomically into the corpus; "
            "a bad file is refused with the reason and never lands",
        ),
        "security": [{"adminToken": []}],
        "parameters": [
            {
                "name": "name",
                "in": "query",
                "description": t(
                    "以原始请求体上传时的文件名（.md 或 .txt，不含路径）",
                    "the file name when the body is the raw file (.md or .txt, no folders)",
                ),
                "schema": {"type": "string", "maxLength": uploads.MAX_NAME_CHARS},
            },
            {
                "name": "replace",
                "in": "query",
                "description": t("1：替换同名文件", "1: replace a file of the same name"),
                "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
            },
            WAIT_PARAM,
        ],
        "requestBody": {
            "required": True,
            "description": t(
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
            "201": _json(_upload_outcome("indexed"), t("已存入并索引", "saved and indexed")),
            "202": _json(
                _upload_outcome("queued"), t("已存入，同步排队中", "saved; the sync is queued")
            ),
            "400": _bad_request(
                "bad_encoding, param_too_long, no_file, no_filename, bad_filename, bad_bulletin"
            ),
            **_errors("Unauthorized", "Forbidden"),
            "409": _json(
                _ref("Error"),
                t("语料中已有同名文件（exists），加 replace=1 替换", "exists: add replace=1"),
            ),
            **_errors("TooLarge"),
            "422": _json(
                _upload_outcome("rejected"),
                t("已存入但同步拒收（rejected）", "saved but the sync rejected it (rejected)"),
            ),
            "503": _json(_upload_outcome("error"), t("同步失败（sync_failed）", "sync_failed")),
        },
    }


def _reindex_operation() -> dict:
    return {
        "operationId": "reindex",
        "tags": ["admin"],
        "summary": t("同步语料到索引", "sync the corpus into the index"),
        "security": [{"adminToken": []}],
        "parameters": [WAIT_PARAM],
        "responses": {
            "200": _json(_ref("SyncReport"), t("同步完成", "the sync is done")),
            "202": _json(
                _object(
                    {
                        "status": {"const": "queued"},
                        "ticket": {"type": "integer", "minimum": 1},
                    }
                ),
                t("同步排队中", "the sync is queued"),
            ),
            "400": _bad_request("bad_encoding, param_too_long"),
            **_errors("Unauthorized", "Forbidden"),
            "503": _json(_ref("Error"), t("同步失败（sync_failed）", "sync_failed")),
        },
    }


# Refused by the HTTP server before the app sees the request (waitress's limit on the request
# line and headers, 256 KB): a plain-text answer, on any operation.
SERVER_LIMIT = {
    "431": {
        "description": t(
            "请求行或请求头过长，服务器拒收",
            "request line or headers too large, refused by the server",
        )
    }
}


def operations(version: str) -> dict:
    paths = {
        "/api/search": {"get": _search_operation()},
        "/api/articles/{id}": {"get": _article_operation()},
        "/api/facets": {"get": _facets_operation()},
        "/api/health": {"get": _health_operation()},
        "/api/openapi.json": {"get": _openapi_operation(version)},
        "/api/bulletins": {"post": _upload_operation()},
        "/api/reindex": {"post": _reindex_operation()},
    }
    for path in paths.values():
        for operation in path.values():
            operation["responses"].update(SERVER_LIMIT)
    return paths
