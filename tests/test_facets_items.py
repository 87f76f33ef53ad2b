"""Facets, issue 14 round 8: the district of a roundup's Beijing item, a disaster's places, and
the places that are no venue (a reporter's visit, a school or station named after its place).

Made-up sentences in the archive's style, one kind of error each (the kinds the held-back part's
errors showed, found again in the dev part and on archive articles outside the set); the expected
values are what ``../shared/FACETS-GUIDE.md`` and tests/data/README.md's readings say.
"""

from __future__ import annotations

from searchsvc import facets
from tests.articles import article


def district(vocab, title: str, *paras: str) -> tuple[str, ...]:
    return facets.extract(article(title, *paras), vocab).district


# ---------------------------------------------------------------------------------------------
# A roundup's Beijing item


def test_an_item_that_opens_on_its_place_without_zai(vocab):
    title = "全国大部分中小学今天开学"
    lead = "今天，全国大部分中小学正式开学，开启秋季新学期。"
    item = (
        "这两天，受灾地区学校如期开学。北京房山区某中心小学，此前联通外界的桥梁被洪水冲毁，"
        "今天，一座新桥正式开通，迎接学生开启新学期。"
    )
    assert district(vocab, title, lead, item) == ("房山区",)
    # …and a parent place before the towns that held it (北京市门头沟区的龙泉镇、王平镇组织…).
    title = "各地举办活动缅怀英烈"
    lead = "清明期间，各地开展多种形式的祭扫活动，缅怀革命先烈。"
    item = "这个清明节，北京市门头沟区的龙泉镇、王平镇组织开展清明缅怀主题活动。"
    assert district(vocab, title, lead, item) == ("门头沟区",)
    # Not a figure about the place: 平谷区的降雪量.
    item = "北京平谷区的降雪量达到10毫米。"
    assert district(vocab, "各地迎来降雪", "今天，各地迎来降雪。", item) == ()


def test_each_item_of_a_roundup_is_read_alone(vocab):
    # 北京石景山区创编…；上海组织…: the next item's verb is not the Beijing item's.
    title = "冰雪运动点燃激情 为全民健身添彩"
    lead = "随着冬奥临近，全国各地冰雪运动的热度不断提升。"
    items = (
        "多地中小学加快冰雪运动进校园的脚步。北京石景山区把冰壶等运动动作编排起来，创编冰雪课间操；"
        "上海组织近8万名中小学生参与冰雪知识竞赛；浙江青田的山里学校与滑雪场合作。"
    )
    assert district(vocab, title, lead, items) == ()
    # Two Beijing items, each in one district, are two districts.
    title = "中小学生喜迎新学期"
    lead = "又到秋季开学的日子，各地中小学生欢欢乐乐走入新学期。"
    one = (
        "在北京房山区受灾的中小学，老师安排的第一课是安全教育。江苏宿迁的留守儿童则接受了心理教育。"
    )
    two = "北京东城区某小学今天迎来开学典礼，孩子们收到了一份特殊的礼物。"
    assert set(district(vocab, title, lead, one, two)) == {"房山区", "东城区"}


def test_an_activities_roundup_keeps_its_item_a_holidays_leisure_does_not(vocab):
    lead = "“六一”国际儿童节到来之际，各地举办丰富多彩的活动，让孩子们欢度自己的节日。"
    item = (
        "在北京丰台区王佐镇的植物乐园里，孩子们在家长的陪伴下乘船游湖。江西南昌的亲子比赛欢笑不断。"
    )
    assert district(vocab, "别样“六一”", lead, item) == ("丰台区",)
    lead = "国庆假期，各地的人们以多种方式欢度佳节，乐享美好时光。"
    item = "在北京平谷金海湖，人们在草坪上搭一顶帐篷，感受露营的乐趣；在浙江安吉，游客漫步竹海。"
    assert district(vocab, "欢度国庆 乐享时光", lead, item) == ()


def test_a_standing_practice_an_offer_or_a_campaign_is_no_item(vocab):
    title = "各地推出特色活动 欢度假日"
    lead = "“五一”假期，各地推出各具特色的活动，丰富人们的假日生活。"
    offer = "在北京延庆某园区，人们可以乘缆车来到山顶，还能在主题邮局打卡留念。"
    assert district(vocab, title, lead, offer) == ()
    title = "各地开展技能培训"
    lead = "今年以来，各地举办多种技能培训活动，提升就业能力。"
    standing = "在北京延庆区，面向低空经济的带岗培训每两周举行一次。"
    assert district(vocab, title, lead, standing) == ()
    title = "“两学一做” 重在实效"
    lead = "北京、云南在“两学一做”学习教育中，开展不同主题的党建活动。"
    scene = "位于北京亦庄的北京经济技术开发区，开始了党建覆盖“织网”行动。"
    assert district(vocab, title, lead, scene) == ()


def test_a_roundup_found_by_the_places_it_goes_through(vocab):
    # No 各地 in the headline or lead, but three provinces and a Beijing item in its text.
    title = "多彩活动喜迎元宵佳节"
    lead = "元宵佳节在即，人们用丰富多彩的活动闹元宵、度佳节。"
    items = (
        "在北京怀柔区某村，村民们在广场上支起大铁锅，一起感受传统习俗。在浙江安吉，舞青狮表演"
        "赢得阵阵掌声。在安徽泾县、湖南益阳等地，市民们猜灯谜、做花灯。"
    )
    assert district(vocab, title, lead, items) == ("怀柔区",)
    # …but a country's record, a visit or a reaction going through places is no roundup.
    title = "众人植树树成林——我国成为全球森林资源增长最多的国家"
    lead = "40年来，大家一起行动，植下一片片新绿，共建美丽家园。"
    visit = "4月8日，习近平总书记来到北京市通州区永顺镇，挥锹铲土，植树造林。"
    rest = "在浙江安吉、福建长汀、山西右玉，一片片荒山变成了绿洲。"
    assert district(vocab, title, lead, visit, rest) == ()


# ---------------------------------------------------------------------------------------------
# A disaster's places


def test_where_the_weather_fell_is_no_place_left_unknown(vocab):
    title = "【党旗在基层一线高高飘扬】洪水中的逆行者"
    lead = "7月31日，北京门头沟区遭遇大暴雨。在防汛抢险中，某镇副镇长为了疏散群众，不幸卷入激流。"
    later = "这几天，门头沟区某镇某村正在进行清淤工作。"
    assert district(vocab, title, lead, later) == ("门头沟区",)
    # A warning is: the places warned are named with nothing done (the set is not known).
    title = "京津冀等地加快推进灾后重建工作"
    lead = "京津冀等地全力加快抢修恢复进度，推进灾后恢复重建。"
    done = "平谷区组建起130多支水毁恢复专班，持续清理河道。"
    warned = "怀柔、密云两区升级发布暴雨橙色预警，相关部门增派巡查力量，加强隐患排查。"
    assert district(vocab, title, lead, done) == ("平谷区",)
    assert district(vocab, title, lead, done, warned) == ()
    # A campaign's stories about the recovery are the campaign's, not the rescue's places.
    title = "【学思想 强党性 重实践 建新功】确保受灾群众温暖过冬"
    lead = "北京相关部门把主题教育与灾后恢复重建紧密结合起来，开展调研活动。"
    done = "北京门头沟、房山等受灾较重的区集中开展专项行动，已完成农房修缮约1万宅。"
    assert district(vocab, title, lead, done) == ()


# ---------------------------------------------------------------------------------------------
# No venue


def test_a_reporters_visit_is_no_venue(vocab):
    title = "【新春走基层】守护万家灯火的供电人"
    lead = (
        "春节来临，供电保障压力不小。大年二十九的夜里，记者走进昌平流村供电所，跟抢修人员一起值守。"
    )
    assert district(vocab, title, lead) == ()
    # …but a visit by the people the story is about still is.
    lead = "大年二十九的夜里，市领导走进昌平区某供电所，看望慰问值守的抢修人员。"
    assert district(vocab, "市领导看望慰问一线职工", lead) == ("昌平区",)


def test_a_school_or_a_station_named_after_its_place_states_no_place(vocab):
    title = "全国中小学今天开学"
    lead = "今天，全国中小学陆续开学。"
    item = (
        "北京中关村三小开展了以火炬传递为主题的开学典礼。在江苏南京、浙江杭州，孩子们走进新学期。"
    )
    assert district(vocab, title, lead, item) == ()
    # A visit's stop at 南锣鼓巷站 names a station; its stop 来到西城区… names the district.
    title = "习近平看望慰问坚守岗位的一线劳动者"
    lead = "习近平8日下午来到地铁施工现场、环卫站，看望慰问坚守岗位的一线劳动者。"
    stops = "习近平首先来到地铁8号线南锣鼓巷站施工工地，察看工程进展情况。"
    more = "习近平来到西城区环境卫生服务中心某清洁站，向环卫工人祝贺新年。"
    assert district(vocab, title, lead, stops, more) == ("西城区",)
    # 从安徽小岗村到北京中关村: a range of places, not a venue.
    assert facets.venues("从安徽小岗村到北京中关村，从深圳前海到上海浦东", vocab) == []


def test_an_event_started_in_beijing_and_its_scene_in_the_next_paragraph(vocab):
    title = "“巾帼心向党”群众宣教活动启动"
    lead = "今天，由全国妇联开展的“巾帼心向党”群众性宣传教育活动在北京正式启动。"
    scene = "在北京市西城区德胜街道，社区居民们通过自编自演的歌舞展现了妇女和家庭的风采。"
    assert district(vocab, title, lead, scene) == ("西城区",)
    # …not a statement made at a stop (在中关村调研时，…说).
    title = "张高丽强调 促进经济持续健康发展"
    lead = "29日上午，张高丽在京召开企业家座谈会，同十多家企业负责人共商发展大计。"
    said = "在中关村调研时，张高丽说，实施创新驱动发展战略是重大决策。"
    assert district(vocab, title, lead, said) == ()


def test_a_raid_or_a_facility_accepted_at_a_stated_venue(vocab):
    title = "综合极端条件实验装置通过国家验收"
    lead = "今天，位于北京怀柔科学城的某实验装置顺利通过国家验收。"
    assert district(vocab, title, lead) == ("怀柔区",)
    title = "北京警方端掉多个违法窝点"
    lead = "日前，北京警方根据群众举报，在朝阳区某地一带连续端掉多个违法窝点，抓获嫌疑人员27名。"
    assert district(vocab, title, lead) == ("朝阳区",)
    # …not one still to come.
    lead = "位于北京怀柔科学城的某实验装置将于明年通过国家验收。"
    assert district(vocab, title, lead) == ()
