"""Where an index's bytes go: per file kind (postings, term table, stored fields, columns, flat
postings files) and, per field, its terms and the bytes of their postings — in Whoosh's files
and in the flat files (``flatpostings``: keys, docs, weights, counts, positions per field).

    python bench/index_size.py INDEX_HOME

Reads the index in service under INDEX_HOME (compound segments included) with Whoosh's own
reader; one pass over every term's term info (a minute or so on the whole archive).
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np

from searchsvc import flatpostings, index

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
    flat_sizes(folder)


def flat_sizes(folder: Path) -> None:
    """MB per field and array in the flat postings files (and the paragraph texts)."""
    sizes: collections.Counter = collections.Counter()
    files = sorted(folder.glob("*" + flatpostings.EXT))
    only = set()
    for path in files:
        with open(path, "rb") as f:
            head = f.read(4096)
            (size,) = flatpostings._HEAD.unpack_from(head, len(flatpostings.MAGIC))
            head += f.read(max(0, len(flatpostings.MAGIC) + 4 + size - len(head)))
        header = json.loads(head[len(flatpostings.MAGIC) + 4 : len(flatpostings.MAGIC) + 4 + size])
        only |= set(header.get("only", ()))
        for field, arrays in [*header["fields"].items(), ("(texts)", header.get("texts", {}))]:
            for name, e in arrays.items():
                if isinstance(e, dict) and "dtype" in e:
                    sizes[field, name] += np.dtype(e["dtype"]).itemsize * e["length"]
    total = sum(p.stat().st_size for p in files)
    print(f"  flat files: {total / 1e6:.1f} MB in {len(files)}; in them alone: {sorted(only)}")
    fields = collections.Counter()
    for (field, _), size in sizes.items():
        fields[field] += size
    for field, size in fields.most_common():
        parts = ", ".join(f"{n} {s / 1e6:.1f}" for (f, n), s in sizes.most_common() if f == field)
        print(f"  {field:10}{size / 1e6:9.1f} MB  ({parts})")


if __name__ == "__main__":
    main()
