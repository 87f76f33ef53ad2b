"""Article groups on arrays: an article's best hits and its hit count, as the lists say."""

import numpy as np

from searchsvc.groups import Groups


def test_the_top_hits_of_an_article_are_its_sorted_hits_cut():
    rng = np.random.default_rng(12)
    docs = np.arange(400, dtype=np.int32)
    scores = rng.choice([0.5, 1.0, 1.25, 2.0], size=400)  # many equal scores: ties by docnum
    doc_article = np.repeat(np.arange(40, dtype=np.int32), 10)
    doc_article[::7] = -1  # not live: dropped
    groups = Groups.of((docs, scores), doc_article)
    for i in range(len(groups)):
        assert groups.count(i) == len(groups.hits(i))
        for k in (1, 4, 20):
            assert groups.top(i, k) == sorted(groups.hits(i), reverse=True)[:k]
