from searchsvc.highlight import mark, spans


def test_whole_terms_are_marked_and_text_escaped():
    html = str(mark("学习<b>马克思主义</b>理论", ["马克思"]))
    assert html == "学习&lt;b&gt;<mark>马克思</mark>主义&lt;/b&gt;理论"


def test_full_width_text_is_marked_as_printed():
    html = str(mark("控制器（ＰＥＵ）集成", ["peu"]))
    assert "<mark>ＰＥＵ</mark>" in html


def test_overlapping_hits_merge():
    assert spans("北京市总工会", ["北京市", "市总工会"]) == [(0, 6)]


def test_window_cuts_around_first_hit():
    text = "前" * 300 + "劳模工匠" + "后" * 300
    html = str(mark(text, ["劳模工匠"], window=60))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>劳模工匠</mark>" in html
    assert len(html.replace("<mark>", "").replace("</mark>", "")) == 62
