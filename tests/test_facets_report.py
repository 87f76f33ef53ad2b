"""The event-vs-policy guard (facets_report.report_kind) on real headlines and leads.

Each pair below is copied from the seed page, the shared pages or the news archive; the
expected kind is how FACETS-GUIDE.md reads the article (an event held, or why not).
"""

from __future__ import annotations

import pytest

from searchsvc import bulletin
from searchsvc.facets import lead
from searchsvc.facets_report import EVENT, report_kind
from tests.conftest import SEED

CASES = [
    # Events held: a hosting verb, a venue, participants.
    (
        "全国民族团结进步模范事迹报告会在京举行",
        "由中宣部和国家民委等单位联合组织的全国民族团结进步模范事迹报告会今天在北京人民大会堂举行。",
        EVENT,
    ),
    (
        "习近平出席亚太经合组织领导人非正式会议并发表讲话",
        "国家主席习近平16日晚应邀在北京以视频方式出席亚太经合组织领导人非正式会议并发表讲话。",
        EVENT,
    ),
    (
        "京津冀协同发展向更高水平迈进",
        "今天（5月12日），京津冀党政主要领导座谈会在天津举行，三省市围绕共同推进雄安新区高标准"
        "高质量建设、协同推进京津冀国家技术创新中心提质增效等方面，发布多项政策机制。",
        EVENT,
    ),
    (
        "百日千万网络招聘北京专场启动 预计提供20余万个岗位",
        "“职等你来就业同行——百日千万网络招聘专项行动”北京特色专场招聘会今天启动。",
        EVENT,
    ),
    # A rule, an appointment: the session that passed it is not the story.
    (
        "地方党委工作条例20年来首次修订 明确常委人数",
        "中共中央政治局2015年12月14日召开会议，分析研究2016年经济工作，研究部署城市工作，审议通过"
        "修订版《中国共产党地方委员会工作条例》。",
        "policy",
    ),
    (
        "王秀芳因年龄原因不再担任安徽省政协副主席",
        "2月21日上午，安徽省政协十一届四次会议闭幕会在安徽大剧院举行，会议补选徐立全为政协第十一届"
        "安徽省委员会副主席。",
        "appointment",
    ),
    (
        "张德江主持召开十二届全国人大常委会第一百零八次委员长会议 决定1月29日至30日举行十二届全国人大"
        "常委会第三十二次会议",
        "十二届全国人大常委会第一百零八次委员长会议22日上午在北京人民大会堂举行。",
        EVENT,
    ),
    # Still to come, or called off.
    (
        "中非合作论坛第五届部长级会议开幕式将举行",
        "中非合作论坛第五届部长级会议开幕式，19日上午十点将在北京人民大会堂举行。",
        "future",
    ),
    (
        "首届中国国际租赁与技术装备博览会10月在京举行",
        "记者30日从中国工程机械工业协会获悉，首届中国国际租赁与技术装备博览会将于2020年10月21日至"
        "23日在北京举办。",
        "future",
    ),
    (
        "清明期间 北京11家市属公园取消各类文化活动",
        "北京市公园管理中心4月2日透露，清明期间，颐和园、北海公园等11家有限开放的市属公园取消了春季"
        "赏花、清明传统民俗等各类文化活动。",
        "cancelled",
    ),
    # The briefing is where the news came from.
    (
        "国家粮储局：我国已初步建立起符合国情的粮食应急保障体系",
        "4日，国务院联防联控机制就做好疫情期间粮食供给和保障工作情况举行发布会。会上，国家粮食和物资"
        "储备局安全仓储与科技司司长王宏表示，我国已经初步建立起符合国情的粮食应急保障体系。",
        "briefing",
    ),
    (
        "回应举报 红会社监委公布调查结果",
        "中国红十字会社会监督委员会于今天下午召开新闻发布会，公布了最新调查结果。",
        "briefing",
    ),
    # Statements and figures.
    (
        "北京多措并举助力受援地区贫困劳动力就业脱贫",
        "北京市人力资源和社会保障局今天表示，2019年该局与北京市扶贫支援办共同努力，帮助受援地区建档"
        "立卡贫困劳动力13.1万人实现就业。2020年，还将通过技能培训、跟踪帮扶等多种形式帮助对口地区。",
        "statement",
    ),
    (
        "广州30年来近百人因见义勇为牺牲或致残",
        "广州市见义勇为基金会3日发布的一份调查报告显示，从1990年至2019年30年来，广州共涌现近百名因"
        "见义勇为而牺牲或重伤致残勇士，其中92户家庭一直是基金会的年度慰问对象。",
        "statement",
    ),
    # A leader's trip.
    (
        "李克强离京访问英国和希腊",
        "国务院总理李克强今天下午乘专机离开北京，赴英国举行中英总理年度会晤，并对英国和希腊进行"
        "正式访问。",
        "travel",
    ),
    # 将 in 上将 is no future; a congress 胜利召开 in passing is no event.
    (
        "中央军委举行晋升上将军衔仪式 习近平颁发命令状并向晋衔的军官表示祝贺",
        "中央军委晋升上将军衔仪式9月6日在北京八一大楼隆重举行。中央军委主席习近平向晋升上将军衔的军官颁发命令状。",
        EVENT,
    ),
    (
        "【喜迎二十大】真抓实干 踔厉奋发向未来",
        "十年奋斗，十年辉煌。党的二十大即将召开，各地干部群众满怀期待。大家表示，要踔厉奋发、砥砺奋进，"
        "以实际行动迎接党的二十大胜利召开。",
        "none",
    ),
    # A programme broadcast; a briefing by its headline; a 通报会.
    (
        "《百年潮·中国梦》今晚在我台播出",
        "由中共中央宣传部组织，中央电视台和学习出版社联合摄制的五集电视政论片《百年潮·中国梦》，"
        "历经半年的精心创作，于今晚起在我台综合频道黄金时段播出。",
        "programme",
    ),
    (
        "国务院新闻办举行改革开放与高铁发展记者会",
        "国务院新闻办公室今天上午举行中外记者见面会，邀请5位中国高铁一线职工围绕“改革开放与中国高铁发展”"
        "的主题与中外记者交流。",
        "briefing",
    ),
    (
        "北京市通报“7-21”特大自然灾害遇难人数",
        "北京市防汛抗旱指挥部昨晚召开新闻通报会，通报了“7.21特大自然灾害”最新遇难人数。",
        "briefing",
    ),
    # A look back over years, its headline naming no event held.
    (
        "京津冀协同发展：从蓝图走向现实",
        "京津冀协同发展是重大的国家战略。党的十八大以来，习近平总书记多次深入京津冀考察调研，"
        "多次主持召开会议，研究决定和部署实施京津冀协同发展战略。",
        "statement",
    ),
    # 参加…投票: an election is an event.
    (
        "习近平在参加北京市区人大代表换届选举投票时强调 保障人民选举权和被选举权",
        "11月15日是北京市区、乡镇两级人大代表换届选举投票日。习近平在西城区中南海选区怀仁堂投票站"
        "参加区人大代表的投票选举。",
        EVENT,
    ),
]


@pytest.mark.parametrize(("title", "lead_text", "kind"), CASES, ids=[c[0][:12] for c in CASES])
def test_report_kind(title, lead_text, kind):
    assert report_kind(title, lead_text) == kind


def test_report_kind_seed_articles_are_events():
    for article in bulletin.read(SEED, SEED.parent).articles:
        assert report_kind(article.title, lead(article)) == EVENT, article.title


def test_a_bundle_of_briefs_has_no_main_event():
    lead = "我国自主研发的第一个用于治疗“超级细菌”的药物投入生产。"
    assert report_kind("国内联播快讯", lead) == "bundle"


def test_a_comment_or_a_reply_is_no_event():
    title = "人民日报评论员文章：向世界奉献了一届简约安全精彩的奥运盛会——论学习贯彻习近平总书记在北京冬奥会冬残奥会总结表彰大会上重要讲话"
    assert report_kind(title, "今天出版的人民日报发表评论员文章。") == "commentary"
    title = "习近平回信勉励武汉东湖新城社区全体社区工作者 抓细抓实疫情防控各项工作"
    lead = "习近平4月8日给武汉市东湖新城社区全体社区工作者回信，向他们致以诚挚的慰问。"
    assert report_kind(title, lead) == "letter"
    # A 贺信 to a congress: the congress is the event.
    title = "习近平致信祝贺第39届国际标准化组织大会召开"
    assert report_kind(title, "第39届国际标准化组织大会9月12日在北京开幕。") == EVENT


def test_briefings_appointments_and_programmes_read_on_archive_text():
    lead = "国务院新闻办公室今天（8月28日）举行省区市系列新闻发布会，聚焦新中国成立70年来陕西取得的发展成就。"
    assert report_kind("陕西：打造内陆改革开放新高地", lead) == "briefing"
    title = "神舟十五号航天员乘组与记者见面会在北京航天城举行"
    lead = "今天下午，中国航天员科研训练中心举行乘组与记者见面会，3名航天员与公众见面。"
    assert report_kind(title, lead) == "briefing"
    title = "何江海任河北体育局党组书记 曾任省申奥办副主任"
    lead = "2月5日上午，河北省体育局召开领导干部大会，宣布主要领导调整决定。"
    assert report_kind(title, lead) == "appointment"
    title = "“五一”国际劳动节特别节目录制完成"
    lead = "昨天，由中华全国总工会和中央电视台联合举办的《中国梦·劳动美》特别节目在北京录制完成。"
    assert report_kind(title, lead) == "programme"
    # …but a launch event held for a programme is an event.
    lead = "中华全国总工会今天举行《中国梦·劳动美》特别节目启播仪式，节目今晚播出。"
    assert report_kind("特别节目今晚播出", lead) == EVENT


def test_a_visit_to_come_and_a_telegram_are_no_event_held():
    title = "习近平将出席2022年世界经济论坛视频会议"
    lead = "国家主席习近平将于1月17日在北京出席2022年世界经济论坛视频会议并发表演讲。"
    assert report_kind(title, lead) == "future"
    title = "习近平就南极仲冬节发出慰问电"
    lead = "国家主席习近平21日在北京就南极仲冬节向中国南极长城站、中山站发去慰问电。"
    assert report_kind(title, lead) == "letter"
