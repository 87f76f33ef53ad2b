"""Bulletins: one newspaper page as a text file, read into articles, paragraphs and bylines.

A bulletin is `# banner` lines (page slogans), then `## headline` lines that each start an
article whose paragraphs are separated by blank lines; optional `---` front matter on top gives
date, paper and page. See DESIGN.md, "Input: bulletins".
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from searchsvc.bylines import DATELINE, PAREN, parse_people, standalone_byline

MAX_BYTES = 5 * 1024 * 1024


class BulletinError(Exception):
    """A file that cannot be read as a bulletin. str(e) == f"{path}: {reason}"."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Paragraph:
    n: int  # 1-based, counted after layout repair and byline removal
    text: str  # as printed (not NFKC-normalised), byline removed


@dataclass
class Article:
    id: str  # article_id(source, ordinal)
    ordinal: int  # position of its "## " headline on the page (an empty article keeps its number)
    title: str  # headline exactly as printed
    date: str | None  # YYYY-MM-DD from front matter or path; None, never invented
    source: str  # the bulletin's path relative to the corpus root, posix
    paragraphs: list[Paragraph]
    reporters: list[str] = field(default_factory=list)
    correspondents: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    dateline: str = ""  # 本报讯, 新华社北京3月30日电 ... ("" if none)
    paper: str = ""
    page: str = ""

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


@dataclass
class Bulletin:
    source: str
    date: str | None
    paper: str
    page: str
    banners: list[str]
    articles: list[Article]


BULLETIN_SUFFIXES = {".md", ".txt"}
ARTICLE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")  # what article_id makes, and accepts


def is_bulletin(rel: str) -> bool:
    """The bulletin-file rule: .md/.txt, and no hidden file or folder on the way."""
    path = PurePosixPath(rel)
    return path.suffix.lower() in BULLETIN_SUFFIXES and not any(
        part.startswith(".") for part in path.parts
    )


def corpus_files(corpus: Path) -> dict[str, Path]:
    """Bulletin files below ``corpus`` by relative posix path (hidden files and folders skipped)."""
    corpus = Path(corpus)
    found: list[tuple[list[str], str]] = []
    # os.scandir, not Path.rglob: the live server's every sync lists the corpus (0.8 s for the
    # archive's 5,188 pages through pathlib, a tenth of that here: a directory entry knows its
    # type without a stat). The same files in the same order: symlinked folders are not
    # entered, a file is a regular file or a link to one.
    folders = [(str(corpus), "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue  # is_bulletin's rule, checked one level at a time
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{prefix}{name}/"))
                elif os.path.splitext(name)[1].lower() in BULLETIN_SUFFIXES and entry.is_file():
                    rel = prefix + name
                    found.append((rel.split("/"), rel))
    found.sort()
    return {rel: corpus / rel for _parts, rel in found}


def article_id(source: str, ordinal: int) -> str:
    path = PurePosixPath(source)
    slug = str(path.with_suffix("") if path.suffix else path).replace("/", ".")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", slug):
        slug = "b" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{ordinal}"


# ---------------------------------------------------------------------------------------------
# Bytes to text

# Encodings charset_normalizer may propose that can carry Chinese text (Big5 from Taiwan/HK
# archives, Japanese/Korean code pages that include Han characters). Anything else (cp1252,
# latin-1, ...) decodes every byte "successfully" into mojibake, so its guess is refused.
_CJK_ENCODINGS = {
    "big5", "big5hkscs", "cp950", "gb2312", "gbk", "gb18030", "hz", "euc_jp", "shift_jis",
    "cp932", "euc_kr", "cp949", "johab", "iso2022_jp", "iso2022_jp_2", "iso2022_kr",
    "euc_jis_2004", "shift_jis_2004", "euc_jisx0213", "shift_jisx0213",
}  # fmt: skip
_MAGIC = (b"\x89PNG", b"%PDF-", b"PK\x03\x04", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff]")


def decode(data: bytes, source: str = "") -> str:
    """Bytes of a bulletin file to clean text (LF newlines, no control or zero-width chars)."""
    if not data.strip():
        raise BulletinError(source, "文件为空 / empty file")
    if len(data) > MAX_BYTES:
        raise BulletinError(source, f"文件过大 / file too large ({len(data)} > {MAX_BYTES} bytes)")
    controls = sum(1 for b in data[:65536] if b < 32 and b not in b"\t\n\r\f\x1b")
    if b"\x00" in data or data.startswith(_MAGIC) or controls > len(data[:65536]) // 10:
        raise BulletinError(source, "二进制文件 / binary file")
    text = _try_decode(data, "utf-8-sig")
    text = _try_decode(data, "gb18030") if text is None else text
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None or best.encoding not in _CJK_ENCODINGS:
            raise BulletinError(source, "无法识别的编码 / cannot decode (not UTF-8 or GB18030)")
        text = str(best)
    text = _clean(text)
    if not text.strip():
        raise BulletinError(source, "文件为空 / empty file")
    return text


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return _CONTROL.sub("", text.replace("\u2029", "\n\n"))


# ---------------------------------------------------------------------------------------------
# Dates and front matter

_PATH_DATES = (
    re.compile(r"(?<!\d)(\d{4})[-_](\d{1,2})[-_](\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
)
_VALUE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        day = _dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return day.isoformat() if 1800 <= day.year <= 2200 else None


def date_from_path(source: str) -> str | None:
    """A real calendar date in the relative path, deepest component first, else None."""
    for part in reversed(PurePosixPath(source).parts):
        for pattern in _PATH_DATES:
            for m in pattern.finditer(part):
                if day := _iso(*m.groups()):
                    return day
    return None


def _front_matter(lines: list[str], source: str) -> tuple[dict[str, str], int]:
    """Keys of an optional `---` block at the top, and the index of the first line after it."""
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start == len(lines) or lines[start].strip() != "---":
        return {}, 0
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise BulletinError(source, "front matter 未闭合 / front matter not closed (missing '---')")
    meta: dict[str, str] = {}
    for i in range(start + 1, end):
        line = lines[i].strip()
        if not line:
            continue
        if line.startswith("#"):  # a headline: the block's closing '---' was forgotten
            raise BulletinError(
                source, f"front matter 未闭合 / front matter not closed at {line!r}"
            )
        if not (m := re.match(r"([^:：]+)[:：](.*)", line)):
            raise BulletinError(
                source, f"front matter 格式错误 / malformed front matter line {i + 1}: {line!r}"
            )
        meta[m.group(1).strip().lower()] = m.group(2).strip().strip("\"'")
    return meta, end + 1


# ---------------------------------------------------------------------------------------------
# Layout-break repair

_FINAL = set("。！？!?…；;：:.．—↓")
_CLOSERS = "”’」』）)】》\"'"
_LIST_START = re.compile(
    r"[一二三四五六七八九十百]+[、.．]|[（(]|\d{1,3}[、.．，,](?!\d)|[a-zA-Z][、.．，,]"
    r"|第[一二三四五六七八九十百零\d]+[条章节]|[●○■□▲△◆◇★☆•·>※【\[]|\d{4}\s*[—–-]"
)
_CAPTION_END = re.compile(r"(?:摄|摄影|摄影报道|图|资料|供图|CFP|视觉中国|社发|图片|截图)$")
_CAPTION_START = re.compile(r"(?:资料图|图为|图片|图：|图/|上图|下图|组图|视频|原标题|题：)")
_LABEL = re.compile(r"[^，。：:]{1,8}[：:]")
_CREDIT_LABEL = re.compile(
    r"(?:作者|编辑|责任编辑|责编|原标题|来源|图片来源|文字|摄影|监制|策划|制作|出品人|视觉|统稿"
    r"|文案|编者按|链接|相关新闻|延伸阅读)[：:]"
)
_INNER = re.compile(r"[，、；。,;]")
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|《[^》]*》")


def _ends_sentence(text: str) -> bool:
    core = text.rstrip(_CLOSERS)
    # A closing quote or bracket ends the paragraph when it follows final punctuation (。” ),
    # and also on its own: headings like 自我定位：不是“红色摩根”，而是“央企放牛娃” end in one.
    return core != text or (bool(core) and core[-1] in _FINAL)


def _joins(p: str, q: str, size: int | None = None) -> bool:
    """Does paragraph p run on into q (a column break cut it), rather than end there?

    Newspaper convention: body text always ends a paragraph on sentence-final punctuation, while
    sub-headings, image captions (…效果图, …资料图, 记者X摄), credits (图片来源：, 作者：) and list
    items legitimately do not. Those are kept; a column fragment is recognised by body-text
    features: it ends on ，/、, or is long (>= 60 chars, longer than any heading or caption on the
    sample pages), or carries sentence punctuation outside quotes and is longer than a
    one-line sub-heading (>= 25 chars; sub-headings on the sample pages stay <= 22), or the
    next paragraph opens with a one-character word fragment (…血糖的区 / 域，志愿者们…).
    """
    if _ends_sentence(p) or DATELINE.match(q) or _LIST_START.match(q) or _CREDIT_LABEL.match(q):
        return False
    if _LIST_START.match(p) or _CAPTION_END.search(p) or _CAPTION_START.match(p):
        return False
    if p[-1] in "，、,":
        return True
    if (len(p) if size is None else size) >= 60:
        return True
    if _LABEL.match(p):
        return False
    inner = bool(_INNER.search(_QUOTED.sub("", p)))
    fragment = bool(re.match(r"[\u4e00-\u9fff][，、；。]", q))
    return inner and (len(p) >= 25 or fragment)


def _glue(pieces: list[str]) -> str:
    """Join pieces of one paragraph: no space in CJK, one space between Latin words."""
    out = [pieces[0]]
    for a, b in zip(pieces, pieces[1:], strict=False):
        left, right = a[-1:], b[:1]
        latin = left.isascii() and (left.isalnum() or left in ",.;:!?") and right.isalnum()
        out += [" " if latin and right.isascii() else "", b]
    return "".join(out)


def repair(paragraphs: list[str]) -> list[str]:
    """Re-join paragraphs that the column layout cut mid-sentence (see `_joins`)."""
    groups: list[list[str]] = []
    size = 0
    for text in paragraphs:
        if groups:
            # Judge the run-on so far by its start, end and length; building the whole string
            # at every step would be quadratic on a page of many short lines.
            g = groups[-1]
            view = "".join(g) if size < 400 else g[0][:200] + g[-1][-200:]
            if _joins(view, text, size):
                g.append(text)
                size += len(text)
                continue
        groups.append([text])
        size = len(text)
    return [_glue(g) for g in groups]


# ---------------------------------------------------------------------------------------------
# Articles


def _take_bylines(paras: list[str], art: dict) -> tuple[list[str], int]:
    """Move datelines, bylines and photo credits out of the body into `art`.

    Returns the remaining paragraphs and the position of the one that held the dateline (0 if
    none): what comes before it (captions, a repeated title) is never run on into the story.
    """

    def add(people: dict[str, list[str]]) -> None:
        for role, names in people.items():
            art[role].extend(n for n in names if n not in art[role])

    # The dateline opens the story; pages often put a caption or a repeated title above it.
    opening = -1
    for i, text in enumerate(paras[:4]):
        if not (m := DATELINE.match(text)):
            continue
        art["dateline"], rest, opening = m.group(0), text[m.end() :], i
        if pm := PAREN.match(rest):
            if people := parse_people(pm.group(1), need_role=False):
                add(people)
                rest = rest[pm.end() :]
            elif re.match(r"\s*[：:]", rest[pm.end() :]):  # 央视网消息（新闻联播）：
                rest = rest[pm.end() :]
        paras[i] = rest.lstrip(" \t\u3000：:，,—")
        break
    # Bylines stand near the top (under captions and titles); photo credits close the story.
    tail = len(paras)
    while tail > 5 and standalone_byline(paras[tail - 1]):
        tail -= 1
    kept, start = [], 0
    for i, text in enumerate(paras):
        if i == opening:
            start = len(kept)
        found = standalone_byline(text) if i < 5 or i >= tail else None
        if found:
            add(found[1])
        elif text:
            kept.append(text)
    return kept, start


def _split_blocks(lines: list[str]) -> list[str]:
    """Blank-line separated blocks, each block's lines glued into one paragraph."""
    text = "\n".join(line.strip() for line in lines).strip("\n")
    return [_glue(block.split("\n")) for block in re.split(r"\n{2,}", text) if block]


def parse(text: str, source: str) -> Bulletin:
    """Text of one bulletin to a Bulletin. Pure; raises BulletinError if no article is found."""
    lines = _clean(text).split("\n")
    meta, start = _front_matter(lines, source)
    if meta.get("date"):
        m = _VALUE_DATE.fullmatch(meta["date"])
        date = _iso(*m.groups()) if m else None
        if date is None:
            raise BulletinError(
                source, f"front matter 日期无效 / invalid date in front matter: {meta['date']!r}"
            )
    else:
        date = date_from_path(source)
    paper, page = meta.get("paper", ""), meta.get("page", "")
    banners: list[str] = []
    heads: list[tuple[str, list[str]]] = []
    for line in lines[start:]:
        # ATX headings; "##标题" without the space still counts, "#话题#" (a hashtag) does not.
        if m := re.match(r"\s*##(?!#)(.*)", line):
            heads.append((m.group(1).strip(), []))
        elif m := re.match(r"\s*#(?:\s+|$)(.*)", line):
            if m.group(1).strip():
                banners.append(m.group(1).strip())
        elif heads:
            heads[-1][1].append(re.sub(r"^#{3,6}\s+", "", line))
    articles = []
    for ordinal, (title, body) in enumerate(heads, start=1):
        art = {"reporters": [], "correspondents": [], "photographers": [], "dateline": ""}
        paras, start = _take_bylines(_split_blocks(body), art)
        paras = repair(paras[:start]) + repair(paras[start:])
        if not paras:
            continue  # a headline with no body text (e.g. only a photo credit)
        articles.append(
            Article(
                id=article_id(source, ordinal),
                ordinal=ordinal,
                title=title,
                date=date,
                source=source,
                paragraphs=[Paragraph(n, t) for n, t in enumerate(paras, start=1)],
                paper=paper,
                page=page,
                **art,
            )
        )
    if not articles:
        raise BulletinError(source, "没有文章 / no articles (expected '## headline' lines)")
    return Bulletin(source, date, paper, page, banners, articles)


def load(path: Path, source: str) -> bytes:
    """The bytes of a bulletin file; one over MAX_BYTES is refused without being read."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise BulletinError(source, f"文件过大 / file too large ({size} > {MAX_BYTES} bytes)")
        return Path(path).read_bytes()
    except OSError as err:
        raise BulletinError(source, f"无法读取 / cannot read ({err.strerror or err})") from err


def read(path: Path, root: Path) -> Bulletin:
    """Read and parse one bulletin file; its source is its path relative to root (posix)."""
    try:
        source = Path(path).relative_to(root).as_posix()
    except ValueError:
        raise BulletinError(str(path), f"不在语料目录内 / not inside corpus root {root}") from None
    return parse(decode(load(path, source), source), source)
