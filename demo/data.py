"""The demo data of `python manage.py load_demo`, as plain Python data.

What is real and what is not:

* **Districts and streets.** The 13 districts of Wuhan with their GB/T 2260
  codes are real, and so are the street (街道) names listed here; only a
  selection of each district's streets is listed.
* **The seven Qiaokou communities of the source article** (seed/000_…txt):
  their names, their property companies (物业服务企业) and their showcase
  texts are the article's. The parent companies of the three branches
  (分公司) are named in the branches' own legal names. Not in the article, and
  therefore illustrative only: the street each of them is placed in and its
  number of households; their addresses and credit codes are left blank
  because we do not know them (no code is invented for a real company).
* **The ratings are synthetic everywhere.** For the real seven they only
  reproduce the published fact that at least 90% of their residents were
  satisfied; no individual response is real.
* **Everything else is made up** and marked ``is_demo=True``: community
  names start with “示例·”, company names end with “（演示）”, and the
  companies' unified social credit codes are generated (valid check
  character, random body), so they cannot be mistaken for real ones.

Transcription notes. The stored copy of the article has ASCII commas, colons
and exclamation marks where the original has full-width ones (，：！); they
are written full-width here, all other punctuation is the article's. A
photo's caption is the item's ``body``; ``title`` is the article's own
heading of an item or of its group (the 法宝 names, the story titles, “花式消
杀够硬核”, “当好……员”). The article shows two photos captioned “对车辆中的
人员测量体温”; both are kept. The short quote that opens each story is a
speech bubble in the article; it is put in quotation marks here. Headings
that are typos in the article (“聚焦战这些暖心人”) are kept as printed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from communities.validators import USCC_ALPHABET, make_uscc

CITY_CODE = "420100"
CITY_NAME = "武汉市"
QIAOKOU = "420104"

SEED = 2020  # random.Random seed: the synthetic data is the same on every run

# --- districts and streets (GB/T 2260) -------------------------------------------

# (code, name, English name, short name, short English name, [(street, English)])
DISTRICTS: list[tuple[str, str, str, str, str, list[tuple[str, str]]]] = [
    (
        "420102",
        "江岸区",
        "Jiang'an District",
        "江岸",
        "Jiang'an",
        [
            ("大智街道", "Dazhi Subdistrict"),
            ("一元街道", "Yiyuan Subdistrict"),
            ("车站街道", "Chezhan Subdistrict"),
            ("四唯街道", "Siwei Subdistrict"),
            ("二七街道", "Erqi Subdistrict"),
            ("丹水池街道", "Danshuichi Subdistrict"),
            ("台北街道", "Taibei Subdistrict"),
            ("花桥街道", "Huaqiao Subdistrict"),
            ("后湖街道", "Houhu Subdistrict"),
        ],
    ),
    (
        "420103",
        "江汉区",
        "Jianghan District",
        "江汉",
        "Jianghan",
        [
            ("民族街道", "Minzu Subdistrict"),
            ("花楼街道", "Hualou Subdistrict"),
            ("水塔街道", "Shuita Subdistrict"),
            ("民权街道", "Minquan Subdistrict"),
            ("满春街道", "Manchun Subdistrict"),
            ("新华街道", "Xinhua Subdistrict"),
            ("万松街道", "Wansong Subdistrict"),
            ("唐家墩街道", "Tangjiadun Subdistrict"),
            ("北湖街道", "Beihu Subdistrict"),
            ("常青街道", "Changqing Subdistrict"),
            ("汉兴街道", "Hanxing Subdistrict"),
        ],
    ),
    (
        "420104",
        "硚口区",
        "Qiaokou District",
        "硚口",
        "Qiaokou",
        [
            ("古田街道", "Gutian Subdistrict"),
            ("韩家墩街道", "Hanjiadun Subdistrict"),
            ("宗关街道", "Zongguan Subdistrict"),
            ("汉水桥街道", "Hanshuiqiao Subdistrict"),
            ("宝丰街道", "Baofeng Subdistrict"),
            ("荣华街道", "Ronghua Subdistrict"),
            ("汉中街道", "Hanzhong Subdistrict"),
            ("汉正街道", "Hanzheng Subdistrict"),
            ("六角亭街道", "Liujiaoting Subdistrict"),
            ("长丰街道", "Changfeng Subdistrict"),
            ("易家街道", "Yijia Subdistrict"),
        ],
    ),
    (
        "420105",
        "汉阳区",
        "Hanyang District",
        "汉阳",
        "Hanyang",
        [
            ("建桥街道", "Jianqiao Subdistrict"),
            ("晴川街道", "Qingchuan Subdistrict"),
            ("鹦鹉街道", "Yingwu Subdistrict"),
            ("洲头街道", "Zhoutou Subdistrict"),
            ("五里墩街道", "Wulidun Subdistrict"),
            ("琴断口街道", "Qinduankou Subdistrict"),
            ("江汉二桥街道", "Jianghan Erqiao Subdistrict"),
            ("永丰街道", "Yongfeng Subdistrict"),
            ("四新街道", "Sixin Subdistrict"),
        ],
    ),
    (
        "420106",
        "武昌区",
        "Wuchang District",
        "武昌",
        "Wuchang",
        [
            ("积玉桥街道", "Jiyuqiao Subdistrict"),
            ("杨园街道", "Yangyuan Subdistrict"),
            ("徐家棚街道", "Xujiapeng Subdistrict"),
            ("粮道街道", "Liangdao Subdistrict"),
            ("中华路街道", "Zhonghualu Subdistrict"),
            ("黄鹤楼街道", "Huanghelou Subdistrict"),
            ("紫阳街道", "Ziyang Subdistrict"),
            ("白沙洲街道", "Baishazhou Subdistrict"),
            ("首义路街道", "Shouyilu Subdistrict"),
            ("中南路街道", "Zhongnanlu Subdistrict"),
            ("水果湖街道", "Shuiguohu Subdistrict"),
            ("珞珈山街道", "Luojiashan Subdistrict"),
            ("南湖街道", "Nanhu Subdistrict"),
        ],
    ),
    (
        "420107",
        "青山区",
        "Qingshan District",
        "青山",
        "Qingshan",
        [
            ("红卫路街道", "Hongweilu Subdistrict"),
            ("冶金街道", "Yejin Subdistrict"),
            ("新沟桥街道", "Xingouqiao Subdistrict"),
            ("红钢城街道", "Honggangcheng Subdistrict"),
            ("工人村街道", "Gongrencun Subdistrict"),
            ("青山镇街道", "Qingshanzhen Subdistrict"),
            ("厂前街道", "Changqian Subdistrict"),
            ("钢花村街道", "Ganghuacun Subdistrict"),
            ("白玉山街道", "Baiyushan Subdistrict"),
        ],
    ),
    (
        "420111",
        "洪山区",
        "Hongshan District",
        "洪山",
        "Hongshan",
        [
            ("珞南街道", "Luonan Subdistrict"),
            ("关山街道", "Guanshan Subdistrict"),
            ("狮子山街道", "Shizishan Subdistrict"),
            ("张家湾街道", "Zhangjiawan Subdistrict"),
            ("梨园街道", "Liyuan Subdistrict"),
            ("卓刀泉街道", "Zhuodaoquan Subdistrict"),
            ("洪山街道", "Hongshan Subdistrict"),
            ("和平街道", "Heping Subdistrict"),
            ("青菱街道", "Qingling Subdistrict"),
        ],
    ),
    (
        "420112",
        "东西湖区",
        "Dongxihu District",
        "东西湖",
        "Dongxihu",
        [
            ("吴家山街道", "Wujiashan Subdistrict"),
            ("将军路街道", "Jiangjunlu Subdistrict"),
            ("金银湖街道", "Jinyinhu Subdistrict"),
            ("径河街道", "Jinghe Subdistrict"),
            ("走马岭街道", "Zoumaling Subdistrict"),
            ("长青街道", "Changqing Subdistrict"),
            ("柏泉街道", "Baiquan Subdistrict"),
            ("慈惠街道", "Cihui Subdistrict"),
        ],
    ),
    (
        "420113",
        "汉南区",
        "Hannan District",
        "汉南",
        "Hannan",
        [
            ("纱帽街道", "Shamao Subdistrict"),
            ("邓南街道", "Dengnan Subdistrict"),
            ("东荆街道", "Dongjing Subdistrict"),
            ("湘口街道", "Xiangkou Subdistrict"),
        ],
    ),
    (
        "420114",
        "蔡甸区",
        "Caidian District",
        "蔡甸",
        "Caidian",
        [
            ("蔡甸街道", "Caidian Subdistrict"),
            ("奓山街道", "Zhashan Subdistrict"),
            ("永安街道", "Yong'an Subdistrict"),
            ("侏儒山街道", "Zhurushan Subdistrict"),
            ("大集街道", "Daji Subdistrict"),
            ("张湾街道", "Zhangwan Subdistrict"),
            ("索河街道", "Suohe Subdistrict"),
            ("玉贤街道", "Yuxian Subdistrict"),
        ],
    ),
    (
        "420115",
        "江夏区",
        "Jiangxia District",
        "江夏",
        "Jiangxia",
        [
            ("纸坊街道", "Zhifang Subdistrict"),
            ("金口街道", "Jinkou Subdistrict"),
            ("乌龙泉街道", "Wulongquan Subdistrict"),
            ("郑店街道", "Zhengdian Subdistrict"),
            ("五里界街道", "Wulijie Subdistrict"),
        ],
    ),
    (
        "420116",
        "黄陂区",
        "Huangpi District",
        "黄陂",
        "Huangpi",
        [
            ("前川街道", "Qianchuan Subdistrict"),
            ("滠口街道", "Shekou Subdistrict"),
            ("武湖街道", "Wuhu Subdistrict"),
            ("横店街道", "Hengdian Subdistrict"),
            ("天河街道", "Tianhe Subdistrict"),
            ("祁家湾街道", "Qijiawan Subdistrict"),
            ("罗汉寺街道", "Luohansi Subdistrict"),
        ],
    ),
    (
        "420117",
        "新洲区",
        "Xinzhou District",
        "新洲",
        "Xinzhou",
        [
            ("邾城街道", "Zhucheng Subdistrict"),
            ("阳逻街道", "Yangluo Subdistrict"),
            ("仓埠街道", "Cangbu Subdistrict"),
            ("汪集街道", "Wangji Subdistrict"),
            ("双柳街道", "Shuangliu Subdistrict"),
            ("三店街道", "Sandian Subdistrict"),
        ],
    ),
]

# --- campaigns -------------------------------------------------------------------

# The 2020 list was published in May 2020 (“日前” in the article): a preliminary list
# for five days of public notice, then the final list. The exact dates are illustrative.
CAMPAIGN_2020_PRELIMINARY = (2020, 5, 8, 10, 0, 0)

CAMPAIGN_2020 = {
    "slug": "2020-epidemic-satisfied-communities",
    "name": "疫情防控期间全市物业服务“群众满意小区”评选",
    "name_en": "City-wide “Residents' Satisfied Communities” for property service "
    "during epidemic control (2020)",
    "description": (
        "在新冠肺炎疫情防控期间，严格按照法律法规的规定和物业服务合同的约定履行物业管理义务；"
        "积极配合街道、社区做好物业小区疫情防控工作；群众线上评议满意率在90%以上；"
        "符合基本服务到位、宣传引导到位、封闭管理到位、消杀保洁到位、配合保障到位5个方面条件。"
    ),
    # Rating window, Asia/Shanghai: 2020-04-10 00:00 to the end of 2020-04-30.
    "opens": (2020, 4, 10, 0, 0, 0),
    "closes": (2020, 4, 30, 23, 59, 59),
    "created": (2020, 4, 1, 9, 0, 0),
    "enrolled": (2020, 4, 3, 9, 0, 0),
    "codes_issued": (2020, 4, 8, 9, 0, 0),
}

CAMPAIGN_OPEN = {
    "slug": "2026-property-service-satisfaction",
    "name": "2026年度全市物业服务“群众满意小区”评议",
    "name_en": "2026 city-wide property service evaluation: “Residents' Satisfied Communities”",
    "description": (
        "演示数据：一次正在进行的评议，用来试用住户评议码。"
        "评议期间任何人（包括工作人员）都看不到满意率，只看得到参评户数。"
    ),
    "opened_days_ago": 7,
    "closes_in_days": 30,
}

# The real communities enrolled in the open campaign, and how many synthetic ones
# (the first N synthetic qualifying communities of these districts).
OPEN_CAMPAIGN_SYNTHETIC = {"420104": 2, "420102": 1, "420106": 1, "420111": 1}
TRY_IT_COMMUNITY = "汉口春天"
TRY_IT_CODES = 5

# --- the seven communities of the article ------------------------------------------

# (legal name, parent's legal name or None)
REAL_COMPANIES: list[tuple[str, str | None]] = [
    ("武汉惠之美物业服务有限公司", None),
    ("中电建物业管理有限公司", None),
    ("中电建物业管理有限公司武汉分公司", "中电建物业管理有限公司"),
    ("福州融侨物业管理有限公司", None),
    ("福州融侨物业管理有限公司武汉分公司", "福州融侨物业管理有限公司"),
    ("武汉熙园物业管理有限公司", None),
    ("北京市安信行物业管理有限公司", None),
    ("北京市安信行物业管理有限公司武汉分公司", "北京市安信行物业管理有限公司"),
    ("武汉瑞征新大地物业管理有限公司", None),
]


def photo(body: str, criterion: str | None = None, title: str = "") -> dict:
    return {"kind": "photo", "criterion": criterion, "title": title, "body": body}


def highlight(body: str, criterion: str | None = None, title: str = "") -> dict:
    return {"kind": "highlight", "criterion": criterion, "title": title, "body": body}


def figure(value: int, unit: str, body: str, criterion: str | None = None) -> dict:
    return {
        "kind": "figure",
        "criterion": criterion,
        "title": "",
        "body": body,
        "figure_value": value,
        "figure_unit": unit,
    }


def story(title: str, body: str) -> dict:
    return {"kind": "story", "criterion": None, "title": title, "body": body}


BASIC = "basic-service"
PUBLICITY = "publicity-guidance"
CLOSED = "closed-management"
DISINFECTION = "disinfection-cleaning"
COOPERATION = "cooperation-support"

# Each: name, English name, company, street (illustrative), households
# (illustrative), showcase.
REAL_COMMUNITIES: list[dict] = [
    {
        "name": "汉口春天",
        "name_en": "Hankou Chuntian",
        "company": "武汉惠之美物业服务有限公司",
        "street": "宝丰街道",
        "households": 1860,
        "headline": "坚守岗位，守土有责",
        "subheadline": "战疫路上亮出物业担当",
        "items": [
            # 画说基本服务
            photo("垃圾清扫清运", BASIC),
            photo("清洁楼道大厅", BASIC),
            photo("门岗24小时值守", BASIC),
            photo("设施检查维护", BASIC),
            # 画说宣传引导
            photo("通过小区公示栏进行宣传", PUBLICITY),
            photo("张贴防疫知识宣传单", PUBLICITY),
            photo("通过慧生活APP进行宣传", PUBLICITY),
            # 画说封闭管理
            photo("封闭小区出入口", CLOSED),
            photo("对车辆中的人员测量体温", CLOSED),
            photo("对车辆中的人员测量体温", CLOSED),
            photo("开展夜间巡查", CLOSED),
            # 画说消杀保洁
            photo("对电梯轿厢进行消毒", DISINFECTION),
            photo("对小区公共区域进行消毒", DISINFECTION),
            photo("安排专业消毒车展开消杀", DISINFECTION),
            photo("对儿童游乐设施进行消毒", DISINFECTION),
            # 画说配合保障
            photo("帮小区居民团购爱心菜", COOPERATION),
            photo("为高龄老人送菜上门", COOPERATION),
            photo("开展免费义剪活动", COOPERATION),
            photo("分发团购物资", COOPERATION),
        ],
    },
    {
        "name": "洺悦府",
        "name_en": "Mingyuefu",
        "company": "中电建物业管理有限公司武汉分公司",
        "street": "古田街道",
        "households": 1320,
        "headline": "实力上榜武汉市首批“无疫情小区”",
        "subheadline": "聚焦洺悦府小区战疫亮点",
        "items": [
            highlight(body, DISINFECTION, "花式消杀够硬核")
            for body in [
                "对楼栋进出口、垃圾箱、电梯轿厢等区域每天2小时消毒一次。",
                "对停车场、园区小品、一楼大堂等区域每天4小时消毒一次。",
                "对楼栋消防通道、公共走道每3天展开一次全覆盖消毒工作。",
                "对下水道、化粪池展开连续7日的专项消杀。",
                "打响科技战疫，巧借无人机展开防疫消杀作业。",
                "新式喷雾式消毒机上阵，为提高消毒作业效率加分。",
            ]
        ],
    },
    {
        "name": "融侨锦江",
        "name_en": "Rongqiao Jinjiang",
        "company": "福州融侨物业管理有限公司武汉分公司",
        "street": "汉水桥街道",
        "households": 2150,
        "headline": "风雨同舟，携手战疫",
        "subheadline": "爱心接力，服务送暖",
        "items": [
            photo("为居民送来84消毒水和清洁小喷壶，助力家庭防疫。", DISINFECTION),
            photo("“跑腿侠”步履不停，为居民代购代送生活物资。", COOPERATION),
            photo("配送免费爱心鱼，让新鲜活鱼“游上”居民餐桌。", COOPERATION),
            photo("成立“融侨锦江清洁小分队”，逐层清扫、楼道保洁不在话下。", BASIC),
            photo("组建“融侨锦江爱心理发小组”，帮200余名居民解决“头等大事”。", COOPERATION),
            photo("情系空巢老人、医护人员等特殊群体，贴心服务送到家。", COOPERATION),
        ],
    },
    {
        "name": "融侨锦城",
        "name_en": "Rongqiao Jincheng",
        "company": "福州融侨物业管理有限公司武汉分公司",
        "street": "汉水桥街道",
        "households": 1980,
        "headline": "物业服务保质保量",
        "subheadline": "疫情防控落地落实",
        "items": [
            figure(1, "个", "战疫期间落实小区封闭式管理，严格实行“一门进出、硬隔离”。", CLOSED),
            figure(2, "次", "生活垃圾每日2次清运，小区公共区域消毒消杀每日至少1次。", DISINFECTION),
            figure(
                24,
                "小时",
                "实行24小时值班制度，管道维修、燃气卡圈存等便民服务保障居民正常生活。",
                BASIC,
            ),
            figure(
                35,
                "次",
                "协助社区发放爱心物资，组织35次小区团购，助力打通生活保供“最后一公里”。",
                COOPERATION,
            ),
            figure(1800, "户", "为居民发放84消毒液和清洁小喷壶，共计送达1800户。", DISINFECTION),
            figure(
                15, "面", "战疫期间，小区物业收到居民送来的15面锦旗，抓好服务与防控的劲头更足。"
            ),
        ],
    },
    {
        "name": "汉水熙园",
        "name_en": "Hanshui Xiyuan",
        "company": "武汉熙园物业管理有限公司",
        "street": "宗关街道",
        "households": 960,
        "headline": "守岗位尽职责送温暖",
        "subheadline": "get这些物业战士的战疫“法宝”",
        "items": [
            highlight(
                "通过小喇叭、电子屏、宣传栏、微信群等媒介大力宣传科学防疫知识，"
                "“口罩一戴、特别显帅”等花式宣传标语让疫情防控深入人心。",
                PUBLICITY,
                "宣传法宝",
            ),
            highlight(
                "自制鞋底消毒池，设置废弃口罩专用投放桶，小区公共区域消毒消杀全覆盖。",
                DISINFECTION,
                "消毒法宝",
            ),
            highlight(
                "打开“顺风耳”，迈开“金刚腿”，物业工作人员每天奔走在小区内，"
                "为居民解决生活上的实际困难，用行动让居民安心。",
                COOPERATION,
                "安心法宝",
            ),
            highlight(
                "爱心居民纷纷伸出援手，为物业捐赠口罩、酒精、牛奶等物资，"
                "为打赢疫情防控阻击战汇聚汩汩暖流和强大合力。",
                None,
                "暖心法宝",
            ),
        ],
    },
    {
        "name": "汉江湾1号",
        "name_en": "Hanjiangwan No. 1",
        "company": "北京市安信行物业管理有限公司武汉分公司",
        "street": "古田街道",
        "households": 1450,
        "headline": "一份守护，一份安心",
        "subheadline": "聚焦战这些暖心人、暖心事",
        "items": [
            photo("安全防护、出入管控在行动", CLOSED),
            photo("全面消杀、垃圾清运在行动", DISINFECTION),
            photo("防疫宣传、生活保供在行动"),
            story(
                "物业人的温暖一抱",
                "“疫情期间大家都很紧张，多跟居民交交心、拉近一下距离，以后咱们的工作也好开展嘛。”"
                "\n\n"
                "自疫情防控阻击战打响，汉江湾1号物业服务中心项目经理孙其军一直坚守岗位，"
                "成为倾听居民心声的贴心人、解决居民难题的暖心人。"
                "\n\n"
                "一天晚上，孙其军接到小区一位空巢老人在家不慎摔倒的求助，他立即前往老人家中，"
                "不惧疫情风险，将老人抱起来、安置好，反复确认其身体状况，"
                "寒夜里这份温暖与关怀赢得老人和其他居民的点赞。",
            ),
            story(
                "寒风中的温暖专车",
                "“我家老人突发脑溢血，伴有头疼、吐血症状，情况危急！”"
                "\n\n"
                "2月9日深夜，小区物业服务微信群里一位居民发来的消息牵动所有人的心。"
                "看到这则消息，已回家休息的客服管家段学强顶着寒风，从家里赶到汉江湾1号小区。"
                "\n\n"
                "特殊时期120急救中心救护车和社区保障车辆都很紧张，病情不能等，"
                "段学强用自己的私家车将急症居民安全护送到医院。经救治，这位居民转危为安，"
                "病情逐渐好转。",
            ),
        ],
    },
    {
        "name": "左岸美邻",
        "name_en": "Zuo'an Meilin",
        "company": "武汉瑞征新大地物业管理有限公司",
        "street": "韩家墩街道",
        "households": 1120,
        "headline": "守土有责、守土担责、守土尽责",
        "subheadline": "守好家门口的安全健康防线",
        "items": [
            highlight(
                "公共区域全面消杀、小区卫生清扫清洁、24小时安全巡查、设施设备保障维修……"
                "各项工作一丝不苟，带给居民稳稳的安全感。",
                BASIC,
                "当好“勤务员”",
            ),
            highlight(
                "在楼栋张贴防疫提示、在微信群宣传防疫知识、在门岗开展防疫劝导……"
                "以接地气的形式，使居民对疫情防控听得懂、更入心。",
                PUBLICITY,
                "当好“宣传员”",
            ),
            highlight(
                "坚持出入人员身份必问、体温必测、信息必录、口罩必戴“标准动作”，"
                "让小小值守点变成防疫大保障。",
                CLOSED,
                "当好“守门员”",
            ),
            highlight(
                "每天2次对楼梯间、停车场等公共区域及电梯按键、出入门把手等重点部位进行消毒，"
                "及时清理生活垃圾，降低疫情传播风险。",
                DISINFECTION,
                "当好“消毒员”",
            ),
            highlight(
                "为居民代购代送生活物资，保障基本生活需求。"
                "在农历三月三为居民送来地菜花鸡蛋，送来春天般的温暖。",
                COOPERATION,
                "当好“快递员”",
            ),
        ],
    },
]

# --- synthetic data -------------------------------------------------------------

# Synthetic communities per district (besides the real seven in Qiaokou). In
# Qiaokou, 16 qualify so that, with the real seven, 23 do, as the article says.
SYNTHETIC_QUALIFYING = {
    "420102": 5,
    "420103": 4,
    "420104": 16,
    "420105": 4,
    "420106": 5,
    "420107": 3,
    "420111": 4,
    "420112": 3,
    "420113": 2,
    "420114": 3,
    "420115": 3,
    "420116": 4,
    "420117": 3,
}

# Communities that are rated but do not meet the 2020 rules, to show the rules at
# work: scenario → (households, responses, satisfied responses).
#   boundary      180/200 = 90.0% exactly: qualifies (listed with the qualifying)
#   just_below    224/249 = 89.96%: does not (shown as 89.9%, never rounded up)
#   too_few       15 responses < 20 although all satisfied and coverage 12.5%
#   low_coverage  216 of 2400 households = 9.0% < 10%, although 95.8% satisfied
#   unsatisfied   117/150 = 78.0%
SCENARIOS = {
    "boundary": (1200, 200, 180),
    "just_below": (1600, 249, 224),
    "too_few": (120, 15, 15),
    "low_coverage": (2400, 216, 207),
    "unsatisfied": (900, 150, 117),
}
SYNTHETIC_FAILING = {
    "420104": ["just_below", "low_coverage"],
    "420102": ["too_few"],
    "420106": ["just_below"],
    "420111": ["low_coverage"],
    "420107": ["unsatisfied"],
    "420113": ["too_few"],
}
# The first synthetic Qiaokou community sits exactly on the threshold.
SYNTHETIC_BOUNDARY = {"420104": 1}

# Fictional community name stems (with English), prefixed “示例·” + district.
COMMUNITY_STEMS: list[tuple[str, str]] = [
    ("映月花园", "Yingyue Garden"),
    ("清风雅苑", "Qingfeng Court"),
    ("翠湖苑", "Cuihu Court"),
    ("云栖里", "Yunqi Lane"),
    ("书香园", "Shuxiang Garden"),
    ("和风居", "Hefeng Residence"),
    ("桂香苑", "Guixiang Court"),
    ("梧桐里", "Wutong Lane"),
    ("晴岚花园", "Qinglan Garden"),
    ("江畔家园", "Jiangpan Homes"),
    ("锦华小区", "Jinhua Estate"),
    ("松竹苑", "Songzhu Court"),
    ("听涛居", "Tingtao Residence"),
    ("星语花园", "Xingyu Garden"),
    ("兰亭苑", "Lanting Court"),
    ("朝阳新村", "Chaoyang New Village"),
    ("枫林雅居", "Fenglin Residence"),
    ("荷塘小区", "Hetang Estate"),
    ("柳岸花园", "Liu'an Garden"),
    ("春晖苑", "Chunhui Court"),
    ("望江里", "Wangjiang Lane"),
    ("知音苑", "Zhiyin Court"),
    ("长堤家园", "Changdi Homes"),
    ("白鹭小区", "Bailu Estate"),
]

# Fictional company words; names read 武汉<word>物业服务有限公司（演示）.
COMPANY_WORDS = [
    "安居",
    "嘉禾",
    "恒泰",
    "和悦",
    "明德",
    "邻里",
    "长青",
    "知音",
    "鹤鸣",
    "晴岚",
    "春晖",
    "锦程",
    "同心",
    "悦宁",
    "康桥",
]
# Synthetic companies per district (each serves that district's synthetic communities).
COMPANIES_PER_DISTRICT = {"420104": 3}

COMMENTS = {
    "satisfied": [
        "物业工作人员辛苦了，感谢你们的坚守！",
        "门岗测温登记很认真，让人放心。",
        "代购代送帮了我们家大忙，谢谢！",
        "电梯每天消毒，有记录可查，很安心。",
        "团购的菜很新鲜，送到楼下很方便。",
    ],
    "basically_satisfied": [
        "整体不错，希望垃圾清运再及时一些。",
        "楼道保洁可以再加强。",
        "微信群的通知有时不够及时。",
    ],
    "unsatisfied": [
        "物资登记排队太久，希望改进。",
        "地下车库的消杀做得不够。",
        "对独居老人关心不够。",
    ],
}


@dataclass(frozen=True)
class CompanySpec:
    name: str
    district_code: str
    credit_code: str


@dataclass(frozen=True)
class CommunitySpec:
    district_code: str
    street: str
    name: str
    name_en: str
    households: int
    company: str
    is_demo: bool
    scenario: str  # "qualify", or a key of SCENARIOS

    @property
    def key(self) -> tuple[str, str]:
        return (self.district_code, self.name)


def synthetic_plan() -> tuple[list[CompanySpec], list[CommunitySpec]]:
    """The synthetic companies and communities: the same on every run."""
    rng = random.Random(SEED)
    words = iter(COMPANY_WORDS)
    companies: list[CompanySpec] = []
    communities: list[CommunitySpec] = []
    for code, _name, _name_en, short, short_en, streets in DISTRICTS:
        own = []
        for _ in range(COMPANIES_PER_DISTRICT.get(code, 1)):
            body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
            spec = CompanySpec(
                name=f"武汉{next(words)}物业服务有限公司（演示）",
                district_code=code,
                credit_code=make_uscc(f"91{code}{body}"),
            )
            own.append(spec)
        companies.extend(own)

        scenarios = (
            ["boundary"] * SYNTHETIC_BOUNDARY.get(code, 0)
            + ["qualify"] * (SYNTHETIC_QUALIFYING[code] - SYNTHETIC_BOUNDARY.get(code, 0))
            + SYNTHETIC_FAILING.get(code, [])
        )
        stems = rng.sample(COMMUNITY_STEMS, len(scenarios))
        for index, (scenario, (stem, stem_en)) in enumerate(zip(scenarios, stems, strict=True)):
            households = SCENARIOS[scenario][0] if scenario in SCENARIOS else rng.randint(600, 2000)
            communities.append(
                CommunitySpec(
                    district_code=code,
                    street=rng.choice(streets)[0],
                    name=f"示例·{short}{stem}",
                    name_en=f"Demo · {stem_en}, {short_en}",
                    households=households,
                    company=own[index % len(own)].name,
                    is_demo=True,
                    scenario=scenario,
                )
            )
    return companies, communities


def real_plan() -> list[CommunitySpec]:
    return [
        CommunitySpec(
            district_code=QIAOKOU,
            street=c["street"],
            name=c["name"],
            name_en=c["name_en"],
            households=c["households"],
            company=c["company"],
            is_demo=False,
            scenario="qualify",
        )
        for c in REAL_COMMUNITIES
    ]
