"""Where an index's bytes go: per file kind (postings, term table, stored fields, columns) and,
per field, its terms and the bytes of their postings.

    python bench/index_size.py INDEX_HOME

Reads the index in service under INDEX_HOME (compound segments included) with Whoosh's own
reader; one pass over every term's term info (a minute or so on the whole archive).
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from searchsvc import index

KINDS = {"pst": "postings (.pst)", "trm": "term table (.trm)", "col": "columns (.col)"}


def file_kinds(ix) -> collections.Counter:
    """Bytes per file kind over every segment (inside compound files too)."""
    sizes: collections.Counter = collections.Counter()
    storage = ix.storage
    for seg in ix._segments():
        if seg.is_compound():
            cs = seg.open_compound_file(storage)
            names = [(name, cs.file_length(name)) for name in cs.list()]
        else:
            names = [(name, storage.file_length(name)) for name in seg.list_files(storage)]
        for name, length in names:
            kind = name.rsplit(".", 1)[-1]
            if name.endswith("_stored.col"):
                kind = "stored"
            sizes[kind] += length
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("home", type=Path)
    args = ap.parse_args()
    ix = index.open_index(args.home, create=False)
    folder = Path(ix.storage.folder)
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    segs = ix._segments()
    print(f"{folder}: {total / 1e6:.0f} MB in {len(segs)} segments, "
          f"{sum(s.doc_count_all() for s in segs)} documents")  # fmt: skip
    for kind, size in file_kinds(ix).most_common():
        print(f"  {KINDS.get(kind, kind):28}{size / 1e6:9.1f} MB")
    postings: collections.Counter = collections.Counter()
    terms: collections.Counter = collections.Counter()
    single: collections.Counter = collections.Counter()
    with ix.reader() as reader:
        for sub, _base in reader.leaf_readers():
            for fieldname in sub.indexed_field_names():
                for btext in sub.lexicon(fieldname):
                    info = sub.term_info(fieldname, btext)
                    postings[fieldname] += info._length[0] if info._length else 0
                    terms[fieldname] += 1
                    single[fieldname] += info.doc_frequency() == 1
    print(f"  {'field':10}{'terms (all segments)':>22}{'of them df=1':>14}{'postings MB':>13}")
    for fieldname, size in postings.most_common():
        print(f"  {fieldname:10}{terms[fieldname]:22,}{single[fieldname]:14,}{size / 1e6:13.1f}")


if __name__ == "__main__":
    main()
