"""Facets, issue 14 round 5: where a district is given and where it is not, and the host forms
the fifth draw of the dev set turned up.

Sentences copied from news-archive articles of the dev part (tests/data/facets-dev.jsonl), cut
short; the expected values are what ``../shared/FACETS-GUIDE.md`` says a reader should answer.
"""

from __future__ import annotations

import pytest

from searchsvc import facets
from tests.articles import article

# ---------------------------------------------------------------------------------------------
# District


def test_a_place_in_a_list_of_pilot_areas_is_no_venue(vocab):
    policy = (
        "会议还通过关于授权国务院在北京市大兴区、天津市蓟县等试点县(市、区)暂时调整实施物权法、"
        "担保法有关规定的决定草案。"
    )
    assert facets.venues(policy, vocab) == []
    policy = "授权国务院在北京市大兴区等33个试点县(市、区)行政区域暂时调整实施有关法律规定"
    assert facets.venues(policy, vocab) == []
    # …but the same words without the list are a venue.
    assert [d for d, _ in facets.venues("启动式在北京市通州区绿心公园开始举行。", vocab)] == [
        "通州区"
    ]


def test_a_meeting_whose_lead_passes_a_policy_on_a_district_has_no_district(vocab):
    title = "李克强主持召开国务院常务会议"
    lead = "国务院总理李克强12月2号主持召开国务院常务会议，部署在多地开展金融改革创新试点。"
    later = "会议还通过关于授权国务院在北京市大兴区、天津市蓟县等试点县(市、区)暂时调整实施物权法有关规定的决定草案。"
    got = facets.extract(article(title, lead, later), vocab)
    assert got.district == ()
    assert got.event_type == ("座谈会议",)


def test_a_feature_scene_is_no_venue(vocab):
    title = "【在希望的田野上】“数字大田”里的春耕"
    lead = (
        "春耕大忙时节，在北京市海淀区的一栋写字楼里，一群年轻人却在电脑前开启了忙碌的“数字春耕”。"
    )
    got = facets.extract(article(title, lead), vocab)
    assert got.district == ()
    assert got.event_type == ()


def test_an_event_still_to_come_has_no_venue(vocab):
    title = "北京世园会筹备工作有序进行"
    lead = (
        "2019年中国北京世界园艺博览会将于4月29日至10月7日在北京延庆举行。目前，园区主要场馆、"
        "公共景观及基础设施建设已全面收官，各项筹备工作进展顺利。"
    )
    got = facets.extract(article(title, lead), vocab)
    assert facets.report_kind(title, lead) == "future"
    assert got.district == ()


def test_the_venue_the_next_paragraph_gives_when_the_lead_says_only_in_beijing(vocab):
    title = "丁薛祥出席2023年全国科技活动周暨北京科技周启动式活动"
    lead = "2023年全国科技活动周暨北京科技周启动式5月20日在京举办。中共中央政治局常委、国务院副总理丁薛祥出席启动式。"
    venue = "上午9时30分，启动式在北京市通州区绿心公园城市绿心活力汇开始举行。"
    aside = "启动式结束后，丁薛祥前往展区参观。展区设在北京市海淀区。"
    got = facets.extract(article(title, lead, venue, aside), vocab)
    assert got.district == ("通州区",)
    # Without 在京 in the lead (round 9), the later paragraph's venue counts when its sentence
    # names the same event (启动式在…举行), as FACETS-GUIDE.md's "a district named at the venue"…
    lead = "2023年全国科技活动周暨北京科技周启动式5月20日举办。中共中央政治局常委、国务院副总理丁薛祥出席启动式。"
    assert facets.extract(article(title, lead, venue), vocab).district == ("通州区",)
    # …but not another thing held there, nor a scene that opens on a place.
    other = "上午9时30分，一场科普展览在北京市通州区绿心公园开幕。"
    assert facets.extract(article(title, lead, other), vocab).district == ()
    scene = "在北京市通州区绿心公园，市民们早早来到现场。"
    assert facets.extract(article(title, lead, scene), vocab).district == ()


def test_a_visits_stops_named_at_the_opening_of_a_sentence(vocab):
    title = "李克强考察保障房建设并召开保障房分配和运行现场会"
    lead = "8月21日，中共中央政治局常委、国务院副总理李克强在北京市考察保障性安居工程建设情况，并召开保障房分配和运行现场会。"
    stop1 = "在石景山远洋沁山水社区，李克强走进入住公租房的群众家中，了解他们的实际感受。"
    stop2 = "在海淀区万寿路街道办事处住房保障服务大厅，李克强来到业务办理窗口、评议室等，听取保障房分配情况介绍。"
    aside = "李克强说，在海淀区等地，保障房建设已经取得进展。"
    got = facets.extract(article(title, lead, stop1, stop2, aside), vocab)
    assert got.district == ("石景山区", "海淀区")


def test_a_roundups_beijing_item_in_the_lead(vocab):
    title = "北方多地降雨持续 京津冀部分地区出现暴雨"
    lead = (
        "从昨晚（8月26日）到今天，北方多地降雨持续。北京部分地区出现强降雨，排水部门累计派出2800多人，"
        "在低洼地区开展排涝工作。在怀柔，当地提前开展群众转移安置工作，全区共转移群众6600多人。"
        "今天，河北雄安新区、承德、保定等地出现降雨。"
    )
    assert facets.extract(article(title, lead), vocab).district == ("怀柔区",)


def test_reactions_to_a_speech_give_no_district_of_the_speech(vocab):
    title = "汇聚共建美丽中国磅礴力量——习近平总书记参加首都义务植树活动时的重要讲话在广大干部群众中引发热烈反响"
    lead = "总书记的重要讲话在各地引发热烈反响，大家表示，要践行绿色发展理念，弘扬生态文化。"
    where = "4月3日，习近平总书记来到北京市丰台区永定河畔，同干部群众一起参加义务植树。"
    assert facets.extract(article(title, lead, where), vocab).district == ()


# ---------------------------------------------------------------------------------------------
# Organizer


def test_a_description_before_a_dash_is_not_part_of_the_name(vocab):
    text = "20日，英国最大护士工会——皇家护理学院在英国多地举行大规模罢工，要求获得合理报酬。"
    assert facets.organizers(text, vocab, held=True) == ["皇家护理学院"]


@pytest.mark.parametrize(
    "text",
    [
        "22日，比利时多个工会联合举行全国性罢工和示威活动，抗议通胀高企。",
        "27号，北京孔子学院总部及全球各地的孔子学院举行了形式多样的“孔子学院日”活动。",
    ],
)
def test_many_bodies_are_no_organizer(vocab, text):
    assert facets.organizers(text, vocab, held=True) == []


def test_an_alias_note_in_brackets_is_dropped(vocab):
    text = "2002年，国家授权中国长江三峡集团公司（下称“三峡集团”）开发建设金沙江下游向家坝等4座巨型水电站。"
    assert (
        facets.clean_org("中国长江三峡集团公司（下称“三峡集团”）", vocab) == "中国长江三峡集团公司"
    )
    assert "三峡集团”）" not in "".join(facets.organizers(text, vocab, held=True))


def test_co_initiators_of_an_aid_appeal_and_not_of_a_notice(vocab):
    text = (
        "记者30日从国际潮团总会获悉，国际潮团总会、第21届国际潮团联谊年会主办单位海南省潮商经济促进会"
        "日前共同发出“全球潮人·同心战疫”倡议书，积极筹措医疗物资支持海外潮人、侨胞抗击疫情。"
    )
    assert facets.organizers(text, vocab, held=True) == ["国际潮团总会", "海南省潮商经济促进会"]
    notice = "近日，中共中央办公厅印发了《公务员职务与职级并行规定》，并发出通知，要求各地区各部门认真遵照执行。"
    assert facets.organizers(notice, vocab, held=True) == []


def test_a_programme_recorded_has_no_host_and_no_type(vocab):
    title = "《中国梦·劳动美》把最美的赞歌献给劳动者"
    lead = (
        "昨晚，由中华全国总工会和中央电视台联合主办的《中国梦·劳动美》2016年庆祝“五一”国际劳动节"
        "特别节目在北京中关村国家自主创新示范区展示中心录制完成。"
    )
    got = facets.extract(article(title, lead), vocab)
    assert (got.organizer, got.event_type) == ((), ())


def test_a_series_name_in_brackets_gives_no_type(vocab):
    title = "【奋进新征程 建功新时代·走进老区看新貌】生态优先 绿色发展"
    lead = (
        "北京是一块红色热土，有着光荣的革命传统。老区发展融入首都高质量发展全局，走出了一条振兴路。"
    )
    assert facets.extract(article(title, lead), vocab).event_type == ()


def test_a_short_place_name_other_places_share_needs_beijing_near_it(vocab):
    # 南邵 (a town in 昌平区) inside 湖南邵怀段; 燕山 (in 房山区) the mountains of Hebei.
    crash = "19日凌晨2时55分左右，沪昆高速湖南邵怀段发生一起特大道路交通危化品燃爆事故。"
    got = facets.extract(article("联合工作组赶赴现场指导处置工作", crash), vocab)
    assert got.district == ()
    assert facets.venues("阜平县地处燕山—太行山区，曾是国家级贫困县。", vocab) == []
    # …but with 北京 near it, the same kind of name is Beijing's.
    stop = "在位于亦庄的北京经济技术开发区管委会综合展厅，贺国强认真听取开发区发展情况介绍。"
    assert [d for d, _ in facets.venues(stop, vocab)] == ["北京经济技术开发区"]
    scene = "在北京八达岭国家森林公园，5万多株彩叶树木与蜿蜒盘旋的长城构成雄浑大气的画卷。"
    assert [d for d, _ in facets.venues(scene, vocab)] == ["延庆区"]


def test_a_series_feature_across_places_gives_no_roundup_district(vocab):
    lead = (
        "今天（8月8日）是我国第13个全民健身日。如今，我国全民健身和全民健康正深度融合，"
        "形式多样的全民健身活动在各地火热开展，为全面小康筑牢健康之基。"
    )
    item = "在北京市石景山区的市民冰雪体育中心，一批小球员正在冰球场上训练。"
    title = "【在习近平新时代中国特色社会主义思想指引下】全民健身 为全面小康筑牢健康之基"
    assert facets.extract(article(title, lead, item), vocab).district == ()
    # The same roundup without a series' name: its one Beijing item's district.
    assert facets.extract(
        article("全民健身 为全面小康筑牢健康之基", lead, item), vocab
    ).district == ("石景山区",)


def test_a_visit_elsewhere_gives_no_beijing_stop(vocab):
    lead = "19日至20日，中共中央政治局常委、国务院总理李克强在四川广元、德阳、成都考察。"
    stop = "李克强十分关心基层群众的基本民生保障。他来到沙河镇卫生院，考察医疗服务和药品配备。"
    assert facets.extract(article("李克强在四川考察", lead, stop), vocab).district == ()
    # The same stop on a visit the lead does not put elsewhere is Beijing's (沙河镇, 昌平区).
    lead = "19日至20日，中共中央政治局常委、国务院总理李克强在北京考察。"
    assert facets.extract(article("李克强在北京考察", lead, stop), vocab).district == ("昌平区",)


# ---------------------------------------------------------------------------------------------
# Round 6: roundups and series read on archive articles outside the dev set (spot checks)


def test_a_market_roundups_beijing_scene_gives_no_district(vocab):
    lead = "这个冬天，各地积极拓展冰雪旅游新场景，持续激发消费活力。"
    item = "在北京延庆奥林匹克园区，13条专业雪道满足不同滑雪者的需求。"
    got = facets.extract(article("拓展冰雪旅游新场景 激发消费活力", lead, item), vocab)
    assert got.district == ()
    # The same item in a festive roundup is a happening with a venue.
    lead = "春节临近，年味渐浓，各地举办多种多样的新春活动。"
    item = "在北京延庆的“2023民宿过大年”活动上，当地将非遗体验中加入冬奥和冰雪元素，吸引众多游客。"
    got = facets.extract(article("新春佳节临近 各地年味渐浓", lead, item), vocab)
    assert got.district == ("延庆区",)


def test_a_roundup_item_naming_two_districts_gives_none(vocab):
    lead = "新春将至，年味愈浓。各地装扮一新，举办多种多样的新春活动。"
    item = "在海淀同庆街、顺义鲜花港等地彩灯景观进入最后调试阶段。在天津杨柳青古镇，59组特色灯组异彩纷呈。"
    got = facets.extract(article("红红火火迎新春 热热闹闹备年货", lead, item), vocab)
    assert got.district == ()


def test_a_roundup_item_of_the_past_or_a_plan_gives_no_district(vocab):
    lead = "今天是“七·七”事变75周年纪念日。上午十点，河北石家庄等地同时拉响防空警报。"
    past = "1937年7月7号，日军在卢沟桥附近借“军事演习”之名，向中国驻军寻衅。"
    got = facets.extract(article("各地纪念七七事变75周年", lead, past), vocab)
    assert got.district == ()
    lead = "连日来，北京、辽宁、福建等地多措并举，助复工复产。"
    plan = "在北京怀柔科学城，所有在建项目将在3月20日前全部复工。"
    assert facets.extract(article("多措并举 助复工复产", lead, plan), vocab).district == ()


def test_a_series_name_is_no_visit(vocab):
    title = "【调结构转方式·北京科技创新调研行】创新成果辐射全国"
    lead = "北京的科技创新成果正在辐射全国。"
    scene = "在中关村，一批创新企业的成果走向各地。位于北京海淀的一家企业，来到这里的客户络绎不绝。"
    assert facets.extract(article(title, lead, scene), vocab).district == ()


def test_a_disaster_roundup_gives_every_district_where_something_was_done(vocab):
    title = "众志成城 团结奋战 各地区和有关部门全力做好防汛抗洪救灾"
    lead = "连日来，我国华北、东北等地出现极端降雨过程，各地区和有关部门全力做好防汛抗洪救灾工作。"
    done = (
        "北京抓紧修复交通、通讯、电力等受损基础设施。目前，北京昌平区、门头沟区、房山区受损地区"
        "国道、省道相继打通。房山区加快修复山区农村供水设施。"
    )
    got = facets.extract(article(title, lead, done), vocab)
    assert set(got.district) == {"昌平区", "门头沟区", "房山区"}
    # A district named with nothing said done there: the set is not known, none is given.
    alert = "今天，北京市延庆区处于暴雨橙色预警状态。"
    assert facets.extract(article(title, lead, done, alert), vocab).district == ()
    # A leader's instruction on the disaster is not the disaster.
    title = "习近平对防汛救灾工作作出重要指示强调 全力保障人民生命财产安全"
    assert facets.extract(article(title, lead, done), vocab).district == ()


def test_a_roundups_beijing_scene_or_policy_is_no_happening(vocab):
    title = "中东部雨雪“水浇春”"
    lead = "今天，我国中东部多地迎来雨雪天气，各地旱情有所缓解。"
    scene = "在八达岭长城景区，雪花飘落在蜿蜒的群山峻岭间，别有一番意境。"
    assert facets.extract(article(title, lead, scene), vocab).district == ()
    title = "各地经济生活秩序加快恢复"
    lead = "连日来，各地多措并举，经济生活秩序加快恢复。"
    policy = "今天，北京西城区出台新政策，梳理出23个重点项目，启动5G网络基站等近10个领域项目建设。"
    assert facets.extract(article(title, lead, policy), vocab).district == ()
    # …but a district that starts something is a happening: 今天，大兴区启动…核酸检测.
    item = "北京市25日新增2例确诊病例。今天，大兴区启动第二轮大规模核酸检测。"
    got = facets.extract(article("多措并举 各地加强疫情防控", lead, item), vocab)
    assert got.district == ("大兴区",)
    # A hospital's name is not its district: 北京朝阳医院发热门诊.
    clinic = "北京朝阳医院发热门诊目前每天接诊400多位患者，医院组织全院力量积极救治。"
    got = facets.extract(article("全力守护人民群众生命安全", "各地医院全力救治。", clinic), vocab)
    assert got.district == ()


def test_a_feature_headed_place_and_colon_is_no_visit(vocab):
    title = "【一线调研·加快形成新质生产力】北京：“数”为先 抢“新”机"
    lead = "数据是数字经济的核心生产要素。北京如何更好发挥数据要素作用呢？来看记者的一线调研。"
    scene = "位于北京亦庄的高级别自动驾驶示范区已从1.0“小步”快走，迭代到3.0阶段建设。"
    assert facets.extract(article(title, lead, scene), vocab).district == ()


def test_a_series_feature_reports_no_event_unless_one_was_held(vocab):
    lead = "《新闻联播》从今天起推出系列报道。今天首先走进北京市东城区，看看当地如何做好老城保护。"
    title = "【全面建成小康社会 “百城千县万村调研行”】北京老城区更新 胡同百姓过上现代生活"
    assert facets.extract(article(title, lead), vocab).event_type == ()
    lead = "“伟大的变革——庆祝改革开放40周年大型展览”在国家博物馆举行，观众参观展览。"
    title = "【伟大的变革——庆祝改革开放40周年大型展览】参观人数突破300万"
    assert facets.extract(article(title, lead), vocab).event_type == ("参观交流",)


def test_a_bundle_of_briefs_gives_no_host_and_a_meeting_is_no_fair(vocab):
    first = "我国自主研发的第一个用于治疗“超级细菌”的药物投入生产。"
    brief = "由中国文联、中央电视台主办的文艺晚会今晚在北京举行。"
    got = facets.extract(article("国内联播快讯", first, brief), vocab)
    assert (got.organizer, got.event_type, got.district) == ((), (), ())
    # 联合国贸易和发展会议: 展会 inside 发展会议 is no fair.
    title = "李强分别会见世界银行、国际货币基金组织、联合国贸易和发展会议负责人"
    lead = "12月9日，国务院总理李强在北京分别会见世界银行行长和联合国贸发会议秘书长。"
    assert facets.extract(article(title, lead), vocab).event_type == ("座谈会议",)


def test_places_listed_before_suo_shu_are_no_parent_body(vocab):
    title = "密云水库60年 清水润京城"
    lead = (
        "今天（9月1日），密云水库建成60周年主题展开幕，与此同时，密云区、怀柔区、延庆区、承德市、"
        "张家口及两市所属5个县共同签署保水合作协议，组成“保水共同体”。"
    )
    assert facets.extract(article(title, lead), vocab).district == ()


def test_a_feature_roundup_gives_no_district(vocab):
    title = "党政机关：节俭过节变化大"
    lead = "中秋将至，各地党政机关厉行节约，节俭过节。"
    item = "在朝阳区政府的地下停车场，检查人员仔细核查了公车的情况。"
    assert facets.extract(article(title, lead, item), vocab).district == ()


def test_a_visits_stops_are_all_or_none(vocab):
    title = "习近平看望慰问坚守岗位的一线劳动者"
    lead = "农历除夕来临之际，习近平8日下午来到地铁施工现场、环卫站，看望慰问坚守岗位的一线劳动者。"
    stop = (
        "习近平惦记着这些最普通的劳动者，来到西城区环境卫生服务中心手帕口清洁站，向他们祝贺新年。"
    )
    assert facets.extract(article(title, lead, stop), vocab).district == ("西城区",)
    # A sentence of what he did names another district that is no stop found: not known.
    aside = "随后，习近平了解了东城区地铁施工进展情况。"
    assert facets.extract(article(title, lead, stop, aside), vocab).district == ()


def test_a_series_feature_names_no_host_unless_it_says_an_event_was_held(vocab):
    title = "【法治中国行】人民陪审员制度改革 推进公正民主"
    lead = (
        "2015年4月，全国人大常委会通过授权决定，最高人民法院、司法部正式启动人民陪审员制度改革"
        "试点工作。一年多来，改革措施不断落实。"
    )
    got = facets.extract(article(title, lead), vocab)
    assert (got.organizer, got.event_type) == ((), ())


def test_host_forms_read_on_archive_text(vocab):
    title = "中共中央国务院举行春节团拜会 习近平发表讲话"
    lead = "中共中央、国务院8日上午在人民大会堂举行2024年春节团拜会。"
    assert facets.extract(article(title, lead), vocab).organizer == ("中共中央", "国务院")
    lead = "由中央宣传部理论局组织撰写的系列最新读本《新征程面对面》目前已出版，在各地上架发行。"
    assert facets.extract(article("《新征程面对面》今起上架发行", lead), vocab).organizer == ()
    lead = "昨晚进行的自由式滑雪空中技巧混合团体赛中，中国队向冠军发起冲击，最终获得一枚银牌。"
    assert facets.extract(article("冬奥会赛况", lead), vocab).organizer == ()


def test_greetings_are_no_visit_of_aid(vocab):
    title = "劳动创造美好未来"
    lead = "在“五一”国际劳动节到来之际，习近平总书记代表党中央向全国广大劳动群众致以节日祝贺和诚挚慰问。"
    assert facets.extract(article(title, lead), vocab).event_type == ()


def test_a_venue_for_sports_and_arts_is_no_event(vocab):
    title = "北京大兴：共建共享公共文化设施"
    lead = "北京市大兴区积极推进公共文化设施共建共享，两年间，新开发出8万多平方米的文体活动场所。"
    assert facets.extract(article(title, lead), vocab).event_type == ()
