"""Demo data for `flask demo load`: realistic Chengdu organisations, projects and financing
needs, created through the same services the web pages use, so the audit log and the
notifications tell the same story as the data.

Sources:
- districts: app/data/chengdu_districts.csv (reference.districts()), zones: reference.ZONES;
- industries: GB/T 4754-2017 divisions (reference.industries());
- banks and insurers: app/data/demo_financial_institutions.csv, rows copied from the NFRA
  legal-entity lists in shared/data/financial_institutions/ (2025-06-30);
- the city-level state-owned groups are Chengdu's real 市属国企; the private industrial
  companies, all people, phone numbers and projects are invented.

Unified social credit codes: real where known (成都银行, 工商银行, 建设银行, 招商银行,
中国平安, 市发改委); the others are invented bodies whose check character is computed,
so every code passes the GB 32100-2015 check.

Deterministic: one random.Random(SEED); dates are relative to the day of loading.
Idempotent: if the demo administrator exists, nothing is created.
"""

import csv
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from werkzeug.security import generate_password_hash

from app import reference
from app.demo_deals import load_deals
from app.extensions import db
from app.models import (
    Edition,
    FinancingNeed,
    NeedStatus,
    Organization,
    OrgStatus,
    Project,
    Role,
    User,
    UserStatus,
)
from app.models.base import utcnow
from app.reference import Category, CreditEnhancement, Instrument, Level, OrgKind, ReserveSubstage, Stage
from app.services import accounts, audit, credit_code, jobs, mail, readiness
from app.services import editions as editions_service
from app.services import needs as needs_service
from app.services import preferences as preferences_service
from app.services import projects as projects_service
from app.services.workflow import move

SEED = 20190815
DEMO_PASSWORD = "demo12345"
DEMO_ACCOUNTS = [
    ("admin@demo.cn", "管理员 admin — 成都市发展和改革委员会"),
    ("admin2@demo.cn", "管理员 admin — 第二审核人 (maker–checker)"),
    ("owner@demo.cn", "项目业主 owner — 成都城建投资管理集团有限责任公司"),
    ("bank@demo.cn", "金融机构 institution — 成都银行"),
    ("insurer@demo.cn", "金融机构 institution — 中国人寿"),
    ("broker@demo.cn", "金融机构 institution — 国金证券"),
    ("expert@demo.cn", "融资专家 expert — 华西证券"),
]
MARKER_EMAIL = "admin@demo.cn"

GOVERNMENT = ("gov", "成都市发展和改革委员会", "市发改委", "11510100008921463C", "510104")

# key, legal name, short name, first 17 characters of the credit code (None: derived), district
OWNERS = [
    ("metro", "成都轨道交通集团有限公司", "成都轨道集团", None, "510106"),
    ("cdcj", "成都城建投资管理集团有限责任公司", "成都城投集团", None, "510107"),
    ("xingcheng", "成都兴城投资集团有限公司", "兴城集团", None, "510104"),
    ("chanye", "成都产业投资集团有限公司", "成都产业集团", None, "510104"),
    ("env", "成都环境投资集团有限公司", "成都环境集团", None, "510108"),
    ("tianfu", "成都天府新区投资集团有限公司", "天府新区投资集团", None, "510116"),
    ("gaotou", "成都高新投资集团有限公司", "高投集团", None, "510107"),
    ("eastern", "成都东部集团有限公司", "东部集团", None, "510185"),
    ("jianyang", "简阳市城市建设投资集团有限公司", "简阳城投", None, "510185"),
    ("dujiangyan", "都江堰兴市集团有限责任公司", "都江堰兴市集团", None, "510181"),
    ("pidu", "成都市郫都区国有资产投资经营有限公司", "郫都国投", None, "510117"),
    ("longquan", "成都经开国投集团有限公司", "经开国投", None, "510112"),
    ("qionglai", "邛崃市建设投资集团有限公司", "邛崃建投", None, "510183"),
    ("pengzhou", "彭州市城乡建设投资有限公司", "彭州城投", None, "510182"),
    ("auto", "成都锦程新能源汽车零部件有限公司", "锦程新能源", None, "510112"),
    ("chip", "四川蜀芯微电子材料有限公司", "蜀芯微电子", None, "510117"),
    ("pharma", "成都天府康健生物医药有限公司", "天府康健生物", None, "510116"),
]

# Institutions. Banks and insurers come from the NFRA list (demo_financial_institutions.csv).
SHORT_NAMES = {
    "国家开发银行": "国开行四川分行",
    "中国农业发展银行": "农发行四川分行",
    "中国工商银行股份有限公司": "工商银行",
    "中国农业银行股份有限公司": "农业银行",
    "中国建设银行股份有限公司": "建设银行",
    "招商银行股份有限公司": "招商银行",
    "成都银行股份有限公司": "成都银行",
    "四川银行股份有限公司": "四川银行",
    "四川天府银行股份有限公司": "天府银行",
    "四川新网银行股份有限公司": "新网银行",
    "中国人寿保险股份有限公司": "中国人寿",
    "中国平安保险（集团）股份有限公司": "中国平安",
    "中国太平洋人寿保险股份有限公司": "太平洋人寿",
    "泰康保险集团股份有限公司": "泰康保险",
}
KNOWN_CODES = {
    "成都银行股份有限公司": "91510100633142770A",
    "中国工商银行股份有限公司": "91100000100003962T",
    "中国建设银行股份有限公司": "911100001000044477",
    "招商银行股份有限公司": "9144030010001686XA",
    "中国平安保险（集团）股份有限公司": "91440300100012316L",
}
PENDING_INSTITUTIONS = {"四川新网银行股份有限公司"}
SECURITIES = [
    ("国金证券股份有限公司", "国金证券", "510104"),
    ("华西证券股份有限公司", "华西证券", "510107"),
    ("中信证券股份有限公司", "中信证券", None),
    ("中信建投证券股份有限公司", "中信建投", None),
]
PRIVATE_CAPITAL = [
    ("成都市产业引导股权投资基金有限公司", "成都产业引导基金", "510104"),
    ("成都科技创新投资集团有限公司", "成都科创投", "510107"),
    ("四川天府民营资本投资有限公司", "天府民营资本", "510116"),
]
PENDING_OWNER = ("金堂县兴金开发建设投资有限责任公司", "金堂兴金公司", "510121")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑梁谢唐许冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢廖钟谭"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华",
         "志强", "晓东", "海燕", "丽娟", "俊杰", "雪梅", "国庆", "红梅", "文博", "思远", "雨桐", "浩然",
         "子涵", "嘉怡", "宇航", "欣怡", "建国", "春华", "小川", "蓉"]

# Projects: name, owner key, district, zone, category, GB/T 4754 division, level, investment range in 亿元,
# description. Categories: I infrastructure, N industry, L livelihood, E ecology.
P, M, G = Level.provincial, Level.municipal, Level.general
INF, IND, LIV, ECO = Category.infrastructure, Category.industry, Category.livelihood, Category.ecology
PROJECTS = [
    ("成都地铁13号线一期工程", "metro", "510105", None, INF, "54", P, (260, 340), "全长约29公里，设站23座，全地下敷设，贯通青羊、锦江、成华等中心城区。"),
    ("成都地铁17号线二期工程", "metro", "510106", None, INF, "54", P, (220, 310), "线路自九江北延伸至金牛区、成华区，采用市域快线制式，设计时速140公里。"),
    ("成都地铁8号线二期工程", "metro", "510115", None, INF, "54", P, (90, 140), "线路向温江区延伸约10公里，设站6座，缓解温江至中心城区通勤压力。"),
    ("成都地铁27号线一期工程", "metro", "510114", None, INF, "54", M, (180, 250), "连接新都区与中心城区，设站18座，同步建设车辆段及停车场。"),
    ("成都地铁19号线三期工程", "metro", "510118", None, INF, "54", P, (150, 220), "线路南延至新津区，形成天府国际机场至新津的快速通道。"),
    ("成都市域铁路S5线（成眉线）成都段", "metro", "510118", "tianfu", INF, "53", P, (120, 180), "市域铁路连接天府新区与眉山，成都段长约38公里。"),
    ("成都轨道交通TOD综合开发（陆肖站）项目", "metro", "510116", "tianfu", INF, "70", M, (40, 80), "围绕陆肖站开展站城一体化综合开发，建设商业、办公及公共服务设施。"),
    ("成都市中心城区排水管网提升改造工程", "cdcj", "510104", None, INF, "48", M, (15, 30), "改造雨污混接管网约180公里，消除易涝点27处。"),
    ("锦江区东大街片区智慧社区建设项目", "cdcj", "510104", None, LIV, "65", G, (3, 8), "建设社区智慧治理平台、智慧养老及社区综合服务中心。"),
    ("武侯区簇桥片区城市更新项目", "cdcj", "510107", None, LIV, "47", M, (25, 45), "老旧小区改造、街区风貌提升及公共服务配套建设。"),
    ("成华区二仙桥片区城市更新项目", "cdcj", "510108", None, LIV, "47", M, (20, 40), "工业遗存保护利用与片区有机更新，建设公园及公共服务设施。"),
    ("成都市三环路快速化改造二期工程", "cdcj", "510106", None, INF, "48", P, (60, 95), "实施互通立交改造及快速路节点提升，全长约15公里。"),
    ("成都城市地下综合管廊（金牛段）工程", "cdcj", "510106", None, INF, "48", M, (12, 25), "建设综合管廊约16公里，入廊电力、通信、给水及燃气管线。"),
    ("青羊区少城片区历史文化街区保护更新项目", "cdcj", "510105", None, LIV, "88", M, (8, 18), "宽窄巷子周边街区风貌保护、业态提升及基础设施改造。"),
    ("成都天府国际会议中心配套工程", "xingcheng", "510116", "tianfu", INF, "72", M, (30, 60), "会议中心周边道路、停车及配套商业设施建设。"),
    ("成都市公共卫生临床医疗中心二期", "xingcheng", "510108", None, LIV, "84", P, (18, 30), "新增床位800张，建设传染病救治及应急医疗设施。"),
    ("四川天府新区体育中心项目", "xingcheng", "510116", "tianfu", LIV, "89", M, (25, 45), "建设体育场、体育馆及全民健身中心，可承办国际单项赛事。"),
    ("成都市保障性租赁住房（温江片区）项目", "xingcheng", "510115", None, LIV, "70", M, (10, 20), "建设保障性租赁住房约5000套，配套社区商业及幼儿园。"),
    ("西部（成都）科学城人才公寓项目", "xingcheng", "510116", "tianfu", LIV, "70", G, (8, 15), "建设人才公寓约2200套及配套公共服务设施。"),
    ("成都天府国际生物城细胞治疗产业园", "chanye", "510116", None, IND, "27", P, (30, 55), "建设GMP标准厂房、细胞制备中心及研发中试平台。"),
    ("成都电子信息产业功能区（新都）智能终端产业园", "chanye", "510114", None, IND, "39", M, (20, 40), "建设标准化厂房及配套设施，引进智能终端整机及配套企业。"),
    ("成都航空经济产业园（淮州）一期", "chanye", "510121", None, IND, "37", M, (25, 50), "建设航空零部件制造标准厂房及检测维修设施。"),
    ("成都智能制造产业园（青白江）项目", "chanye", "510113", None, IND, "35", M, (15, 30), "面向轨道交通装备及智能制造企业建设定制厂房。"),
    ("成都新经济活力区数字经济产业园", "chanye", "510107", "hitech", IND, "65", M, (18, 35), "建设数字经济企业总部及研发楼宇，配套算力中心。"),
    ("成都市第三再生水厂三期工程", "env", "510108", None, ECO, "46", M, (8, 15), "新增处理规模20万立方米/日，出水达到地表水准IV类标准。"),
    ("东部新区简州新城污水处理厂一期", "env", "510185", "eastern", ECO, "46", M, (5, 12), "建设处理规模10万立方米/日的污水处理厂及配套管网。"),
    ("成都市万兴环保发电厂三期工程", "env", "510106", None, ECO, "44", P, (15, 25), "新增生活垃圾焚烧处理能力3000吨/日，配套余热发电。"),
    ("锦江流域水环境综合治理项目", "env", "510104", None, ECO, "77", P, (30, 60), "锦江干支流截污、清淤、生态补水及滨水空间建设。"),
    ("成都市餐厨垃圾无害化处理二期项目", "env", "510113", None, ECO, "77", G, (4, 9), "新增餐厨垃圾处理能力1000吨/日。"),
    ("沱江流域（金堂段）生态修复工程", "env", "510121", None, ECO, "77", M, (10, 20), "流域生态修复、湿地建设及面源污染治理。"),
    ("天府新区兴隆湖周边配套道路工程", "tianfu", "510116", "tianfu", INF, "48", M, (10, 18), "新建城市主干道及次干道约24公里，配套管网及景观。"),
    ("天府中央商务区总部基地二期", "tianfu", "510116", "tianfu", IND, "72", M, (40, 80), "建设总部办公楼宇及配套商业、会展设施。"),
    ("天府新区鹿溪河生态区建设项目", "tianfu", "510116", "tianfu", ECO, "77", M, (15, 30), "河道生态治理、湿地公园及绿道建设。"),
    ("成都超算中心二期项目", "tianfu", "510116", "tianfu", IND, "65", P, (20, 35), "扩建超级计算机系统及配套数据中心。"),
    ("成都高新区新川创新科技园配套工程", "gaotou", "510107", "hitech", INF, "48", M, (12, 25), "园区道路、管网及公共服务配套设施建设。"),
    ("成都高新西区集成电路产业园二期", "gaotou", "510117", "hitech", IND, "39", P, (40, 80), "建设集成电路封装测试厂房及动力配套设施。"),
    ("成都高新区未来科技城国际医疗城", "gaotou", "510185", "hitech", LIV, "84", M, (25, 50), "建设国际化综合医院及康养配套设施。"),
    ("东部新区天府国际机场临空经济区道路工程", "eastern", "510185", "eastern", INF, "48", P, (20, 40), "建设临空经济区骨干路网约45公里。"),
    ("东部新区未来医学城一期", "eastern", "510185", "eastern", IND, "27", M, (30, 60), "建设医学研究平台、孵化器及医疗器械产业化基地。"),
    ("东部新区绛溪北组团综合开发项目", "eastern", "510185", "eastern", INF, "70", M, (35, 70), "组团基础设施、公共服务设施及安置房建设。"),
    ("简阳市河东片区棚户区改造项目", "jianyang", "510185", None, LIV, "70", M, (12, 25), "改造棚户区约3200户，同步建设安置房及配套设施。"),
    ("简阳市城乡供水一体化工程", "jianyang", "510185", None, INF, "46", G, (6, 12), "新建水厂及输配水管网，覆盖全市城乡供水。"),
    ("都江堰精华灌区续建配套与现代化改造工程", "dujiangyan", "510181", None, INF, "76", P, (20, 40), "干支渠改造、节水改造及灌区信息化建设。"),
    ("都江堰市青城山旅游景区提升工程", "dujiangyan", "510181", None, LIV, "78", G, (5, 10), "景区游客中心、步道及智慧旅游系统提升。"),
    ("郫都区菁蓉湖片区综合开发项目", "pidu", "510117", None, INF, "48", M, (15, 30), "片区道路、水系及公共服务设施建设。"),
    ("郫都区川菜产业园二期", "pidu", "510117", None, IND, "14", G, (5, 12), "建设调味品及预制菜标准厂房和冷链物流中心。"),
    ("成都经开区汽车产业配套园", "longquan", "510112", None, IND, "36", M, (15, 30), "建设汽车零部件标准厂房及检测中心。"),
    ("龙泉驿区东安湖片区基础设施项目", "longquan", "510112", None, INF, "48", M, (10, 20), "片区道路、桥梁及地下管网建设。"),
    ("龙泉山城市森林公园生态提升工程", "longquan", "510112", None, ECO, "77", P, (20, 35), "森林质量提升、生态步道及观景平台建设。"),
    ("邛崃市天府旅游名县基础设施项目", "qionglai", "510183", None, INF, "78", G, (4, 9), "旅游公路、停车场及游客服务设施建设。"),
    ("邛崃市白酒产业园区基础设施项目", "qionglai", "510183", None, IND, "15", M, (8, 16), "园区道路、污水处理及标准厂房建设。"),
    ("彭州市天府中药城二期", "pengzhou", "510182", None, IND, "27", M, (10, 20), "建设中药材加工、仓储及交易中心。"),
    ("彭州市湔江河谷生态综合治理工程", "pengzhou", "510182", None, ECO, "77", G, (5, 10), "河道整治、生态护岸及滨河绿道建设。"),
    ("成都锦程新能源汽车电驱系统生产基地", "auto", "510112", None, IND, "36", M, (12, 25), "年产50万套新能源汽车电驱动系统生产线。"),
    ("蜀芯高纯电子材料产业化项目", "chip", "510117", "hitech", IND, "39", P, (15, 30), "建设电子级特种气体及湿化学品生产线。"),
    ("天府康健创新药物研发及产业化基地", "pharma", "510116", None, IND, "27", M, (8, 18), "建设创新药研发中心及符合GMP要求的制剂生产线。"),
    ("青白江区国际铁路港多式联运枢纽项目", "chanye", "510113", None, INF, "58", P, (25, 45), "建设铁路集装箱中心站扩能及多式联运监管中心。"),
    ("新都区毗河生态绿道建设项目", "env", "510114", None, ECO, "78", G, (3, 6), "建设毗河沿线生态绿道约40公里及驿站。"),
    ("温江区鱼凫国家湿地公园项目", "env", "510115", None, ECO, "77", G, (4, 8), "湿地保护、生态修复及科普设施建设。"),
    ("双流区成都航空港职业教育园区", "xingcheng", "510116", None, LIV, "83", M, (10, 20), "建设职业院校校区及公共实训基地。"),
    ("新津区天府农博园配套基础设施项目", "tianfu", "510118", None, INF, "48", M, (8, 15), "农博园区道路、水系及展馆配套设施建设。"),
    ("大邑县西岭雪山旅游度假区提升项目", "dujiangyan", "510129", None, LIV, "61", G, (6, 12), "度假酒店、索道改造及冰雪运动设施建设。"),
    ("蒲江县中德（蒲江）中小企业合作区标准厂房", "chanye", "510131", None, IND, "34", G, (4, 8), "建设标准化厂房约30万平方米及配套设施。"),
    ("崇州市道明竹艺村乡村振兴示范项目", "qionglai", "510184", None, LIV, "05", G, (2, 4), "乡村基础设施提升、竹编产业及文旅配套建设。"),
    ("崇州市智能应用产业功能区道路工程", "cdcj", "510184", None, INF, "48", G, (3, 7), "功能区内道路及配套管网约18公里。"),
    ("金堂县淮州新城滨江生态公园", "env", "510121", None, ECO, "78", G, (3, 6), "沿沱江建设生态公园、绿道及防洪护岸。"),
]

STAGE_CYCLE = [
    Stage.under_construction, Stage.reserve, Stage.planned_start, Stage.under_construction,
    Stage.completed, Stage.reserve, Stage.under_construction, Stage.planned_start,
]
# Instruments plausible for each stage (a reserve project raises equity and fund money;
# a completed one refinances with REITs, leasing or working capital).
STAGE_INSTRUMENTS = {
    Stage.reserve: [Instrument.industry_fund, Instrument.equity, Instrument.project_loan],
    Stage.planned_start: [Instrument.project_loan, Instrument.syndicated_loan, Instrument.bond,
                          Instrument.insurance_debt_plan],
    Stage.under_construction: [Instrument.project_loan, Instrument.syndicated_loan,
                               Instrument.insurance_debt_plan, Instrument.financial_leasing,
                               Instrument.bond, Instrument.working_capital_loan],
    Stage.completed: [Instrument.abs_reits, Instrument.working_capital_loan,
                      Instrument.financial_leasing, Instrument.bond],
}
INDUSTRY_INSTRUMENTS = [Instrument.equity, Instrument.industry_fund, Instrument.financial_leasing,
                        Instrument.working_capital_loan, Instrument.project_loan]
USES = {
    INF: ["主体工程建设及设备购置", "征地拆迁及管线迁改", "土建工程及机电安装", "偿还项目前期借款及工程建设"],
    IND: ["标准厂房建设及生产设备购置", "研发中心建设及中试设备", "生产线建设及流动资金", "厂房装修及配套设施"],
    LIV: ["安置房及公共服务设施建设", "医疗设备购置及院区建设", "场馆主体工程及配套设施", "老旧小区改造及配套建设"],
    ECO: ["污水处理设施及配套管网建设", "生态修复及湿地工程", "环保设备购置及安装", "河道整治及绿道建设"],
}
RETURN_COMMENTS = [
    "请补充项目资本金到位证明及可研批复文件。",
    "融资金额超过项目剩余资金缺口，请核实已落实融资金额。",
    "请明确还款来源及项目现金流测算。",
    "增信措施描述不完整，请说明抵押物及评估价值。",
    "用途表述过于笼统，请细化资金使用计划。",
]
# The pattern of need states, cycled over the needs in project order, so that every owner
# (owner@demo.cn included) has needs in several states and every state has several needs.
STATUS_PATTERN = [
    NeedStatus.listed, NeedStatus.draft, NeedStatus.submitted, NeedStatus.approved,
    NeedStatus.listed, NeedStatus.returned, NeedStatus.financed, NeedStatus.listed,
    NeedStatus.submitted, NeedStatus.withdrawn, NeedStatus.approved, NeedStatus.expired,
    NeedStatus.listed, NeedStatus.draft,
]
CODE_TYPES = ("01", "02", "03")  # 审批 / 核准 / 备案


def _code(body17: str) -> str:
    return body17 + credit_code.check_character(body17)


def _derived_code(rng: random.Random, division: str) -> str:
    """An invented but well-formed enterprise code: 9 (market regulator) 1 (enterprise),
    the 6-digit division, a 9-character organisation code and the computed check character."""
    body = "".join(rng.choice("0123456789") for _ in range(2)) + "".join(
        rng.choice(credit_code.ALPHABET) for _ in range(7))
    return _code(f"91{division}{body}")


def _institution_rows() -> list[dict]:
    with open(reference.DATA_DIR / "demo_financial_institutions.csv", encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _money(rng: random.Random, lo_wan: int, hi_wan: int) -> Decimal:
    return Decimal(rng.randint(lo_wan * 100, hi_wan * 100)) / 100


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    return date(year, month % 12 + 1, min(d.day, 28))


class _Loader:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.today = date.today()
        self.password_hash = generate_password_hash(DEMO_PASSWORD)  # once: scrypt is slow
        self.orgs: dict[str, Organization] = {}
        self.users: dict[str, User] = {}
        self.used_codes: set[str] = set()
        self.used_names: set[str] = set()

    # ---- people ---------------------------------------------------------------------
    def person(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used_names or len(self.used_names) > 600:
                self.used_names.add(name)
                return name

    def phone(self) -> str:
        return f"028-{self.rng.choice('68')}{self.rng.randint(0, 9999999):07d}"

    def org(self, key, name, short, kind, code=None, district=None, status=OrgStatus.pending):
        existing = db.session.scalar(sa.select(Organization).where(Organization.name == name))
        if existing is not None:  # e.g. the government org made by `flask users create-admin`
            self.orgs[key] = existing
            return existing
        code = code or _derived_code(self.rng, district or "510100")
        org = Organization(name=name, short_name=short, credit_code=code, kind=kind, status=status,
                           district_code=district, phone=self.phone(),
                           verified_at=utcnow() if status is OrgStatus.verified else None)
        db.session.add(org)
        db.session.flush()
        self.orgs[key] = org
        return org

    def user(self, key, email, org, role=None, *, status=UserStatus.active, name=None, title=None):
        user = User(email=email, name=name or self.person(), org=org,
                    role=role or accounts.role_for_kind(org.kind), status=status,
                    password_hash=self.password_hash, phone=self.phone(), title=title, locale="zh")
        db.session.add(user)
        db.session.flush()
        self.users[key] = user
        return user

    # ---- organisations and accounts ----------------------------------------------------
    def organisations(self) -> None:
        key, name, short, code, district = GOVERNMENT
        gov = self.org(key, name, short, OrgKind.government, code, district, OrgStatus.verified)
        admin = self.user("admin", "admin@demo.cn", gov, Role.admin, name="王建国", title="投资处处长")
        self.user("admin2", "admin2@demo.cn", gov, Role.admin, name="李晓梅", title="投资处副处长")
        audit.record("organization.create", gov, by=admin, note="demo data")

        def register(key, name, short, kind, code, district, email, role=None, title=None):
            org = self.org(key, name, short, kind, code, district)
            founder = self.user(key, email, org, role, status=UserStatus.pending, title=title)
            audit.record("organization.register", org, by=founder,
                         after={"name": org.name, "kind": kind.value})
            return org

        for key, name, short, _body, district in OWNERS:
            email = "owner@demo.cn" if key == "cdcj" else f"{key}@demo.cn"
            register(key, name, short, OrgKind.owner, None, district, email, title="融资部经理")
        by_email = {"成都银行股份有限公司": "bank@demo.cn", "中国人寿保险股份有限公司": "insurer@demo.cn"}
        for i, row in enumerate(_institution_rows()):
            kind = OrgKind(row["kind"])
            key = f"fi{i}"
            email = by_email.get(row["name"], f"{key}@demo.cn")
            if row["name"] in PENDING_INSTITUTIONS:
                key = "pending_bank"
                email = "xinwang@demo.cn"
            register(key, row["name"], SHORT_NAMES[row["name"]], kind, KNOWN_CODES.get(row["name"]),
                     None, email, title="客户经理")
        for i, (name, short, district) in enumerate(SECURITIES):
            key = "broker" if short == "国金证券" else f"sec{i}"
            email = "broker@demo.cn" if key == "broker" else f"{key}@demo.cn"
            register(key, name, short, OrgKind.securities, None, district, email, title="投资银行部总监")
        for i, (name, short, district) in enumerate(PRIVATE_CAPITAL):
            register(f"pc{i}", name, short, OrgKind.private_capital, None, district,
                     f"fund{i}@demo.cn", title="投资总监")
        name, short, district = PENDING_OWNER
        register("pending_owner", name, short, OrgKind.owner, None, district, "jintang@demo.cn",
                 title="综合部主任")

        # The admin verifies every organisation but the two still waiting in the queue.
        for key, org in self.orgs.items():
            if key in ("gov", "pending_bank", "pending_owner"):
                continue
            accounts.verify_organization(org, by=admin)

        # Experts: employed by a securities firm and a bank, already active.
        self.user("expert", "expert@demo.cn", self.org_by_short("华西证券"), Role.expert,
                  name="陈思远", title="融资专家（投资银行）")
        self.user("expert2", "expert2@demo.cn", self.org_by_short("国开行四川分行"), Role.expert,
                  name="刘建华", title="融资专家（项目评审）")
        audit.record("user.create", self.users["expert"], by=admin, note="demo data: expert team")
        audit.record("user.create", self.users["expert2"], by=admin, note="demo data: expert team")
        # A request to join 成都银行 that waits for the admin.
        joiner = self.user("joiner", "bank2@demo.cn", self.org_by_short("成都银行"),
                           status=UserStatus.pending, title="公司业务部")
        audit.record("user.request_join", joiner, by=joiner, after={"org": joiner.org.name})

    def preferences(self) -> None:
        """A preference profile for every verified institution, kept by one of its users."""
        turn: dict[OrgKind, int] = {}
        for key, org in self.orgs.items():
            if org.kind not in PROFILES or not org.is_verified:
                continue
            choices = PROFILES[org.kind]
            chosen = choices[turn.get(org.kind, 0) % len(choices)]
            turn[org.kind] = turn.get(org.kind, 0) + 1
            (low, high), (shortest, longest) = chosen["amount"], chosen["term"]
            data = {"industries": chosen.get("industries", []), "districts": chosen.get("districts", []),
                    "instruments": chosen["instruments"], "levels": chosen.get("levels", []),
                    "amount_min": Decimal(low), "amount_max": Decimal(high),
                    "term_min": shortest, "term_max": longest}
            preferences_service.save_profile(org, data, version=0, by=self.users[key])

    def org_by_short(self, short: str) -> Organization:
        return next(o for o in self.orgs.values() if o.short_name == short)

    # ---- projects ----------------------------------------------------------------------
    def dates(self, stage: Stage) -> dict:
        rng, today = self.rng, self.today
        out = dict(planned_start=None, planned_completion=None, actual_start=None, actual_completion=None)
        if stage is Stage.reserve:
            start = _add_months(today, rng.randint(6, 24))
        elif stage is Stage.planned_start:
            start = _add_months(today, rng.randint(-2, 4))  # some were due and have not started
        elif stage is Stage.under_construction:
            start = _add_months(today, -rng.randint(3, 36))
            out["actual_start"] = min(start + timedelta(days=rng.randint(0, 90)), today)
        else:
            start = _add_months(today, -rng.randint(30, 60))
            out["actual_start"] = start + timedelta(days=rng.randint(0, 60))
        out["planned_start"] = start
        out["planned_completion"] = _add_months(start, rng.randint(24, 54))
        if stage is Stage.completed:
            finish = min(out["planned_completion"] + timedelta(days=rng.randint(-60, 120)),
                         today - timedelta(days=30))
            out["actual_completion"] = max(finish, out["actual_start"] + timedelta(days=365))
        return out

    def project_code(self, year: int, district: str, industry: str) -> str:
        while True:
            code = f"{year}-{district}-{industry}-{self.rng.choice(CODE_TYPES)}-{self.rng.randint(1, 999999):06d}"
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def projects(self) -> list[Project]:
        out = []
        substages = list(ReserveSubstage)
        reserve_count = 0
        for i, (name, owner, district, zone, category, industry, level, (lo, hi), desc) in enumerate(PROJECTS):
            stage = STAGE_CYCLE[i % len(STAGE_CYCLE)]
            substage = None
            if stage is Stage.reserve:
                substage = substages[reserve_count % len(substages)]
                reserve_count += 1
            total = _money(self.rng, lo * 10000, hi * 10000)
            annual = (total * Decimal(self.rng.randint(8, 30)) / 100).quantize(Decimal("0.01"))
            if stage is Stage.reserve:
                annual = (total * Decimal(self.rng.randint(1, 5)) / 100).quantize(Decimal("0.01"))
            dates = self.dates(stage)
            year = min((dates["actual_start"] or dates["planned_start"]).year, self.today.year) - \
                self.rng.randint(0, 1)
            data = dict(
                name=name, code=self.project_code(year, district, industry), level=level,
                category=category, industry_code=industry, district_code=district, zone_code=zone,
                total_investment=total, annual_planned_investment=annual, stage=stage,
                reserve_substage=substage, is_priority=(i % 10 == 3), description=desc, **dates,
            )
            out.append(projects_service.create_project(self.orgs[owner], data, by=self.users[owner]))
        return out

    # ---- financing needs ---------------------------------------------------------------
    def need_data(self, project: Project) -> dict:
        rng = self.rng
        pool = INDUSTRY_INSTRUMENTS if project.category is Category.industry else \
            STAGE_INSTRUMENTS[project.stage]
        instruments = rng.sample(pool, rng.randint(1, min(3, len(pool))))
        total = project.total_investment
        share = Decimal(rng.randint(30, 55)) / 100
        amount = (total * share).quantize(Decimal("1")) // 100 * 100
        amount = max(Decimal("1000"), amount).quantize(Decimal("0.01"))
        # Financing in place: above the minimum project capital ratio for most needs; about
        # one in eight is short of it (the admin justifies it when compiling an edition).
        minimum = int(readiness.min_capital_ratio(project.industry_code) * 100)
        percent = rng.randint(minimum + 1, minimum + 8) if rng.random() > 0.12 else rng.randint(8, minimum - 5)
        secured = min((total * percent / 100).quantize(Decimal("0.01")), amount)
        loan_like = not set(instruments) <= {Instrument.equity, Instrument.industry_fund}
        if Instrument.working_capital_loan in instruments and len(instruments) == 1:
            term = rng.choice([12, 24, 36])
        elif loan_like:
            term = rng.choice([60, 84, 120, 180, 240, 300])
        else:
            term = rng.choice([36, 60, 84])
        enhancements = [CreditEnhancement.credit] if project.org.short_name in (
            "成都轨道集团", "兴城集团", "成都城投集团") else rng.sample(
            [CreditEnhancement.mortgage, CreditEnhancement.pledge, CreditEnhancement.guarantee],
            rng.randint(1, 2))
        contact = self.person()
        return dict(
            amount=amount, instruments=instruments, term_months=term,
            cost_ceiling=Decimal(rng.randint(310, 620)) / 100 if loan_like else None,
            use_of_funds=rng.choice(USES[project.category]),
            credit_enhancements=enhancements, funds_secured=secured,
            contact_name=contact, contact_phone=self.phone(), contact_email=None,
        )

    def needs(self, projects: list[Project]) -> None:
        """Create the needs and walk them to their states. Needs that are (or were) on the
        list are only approved here: the editions (below) list them, one wave per edition,
        and close some of them between two editions."""
        admin, admin2 = self.users["admin"], self.users["admin2"]
        targets = list(projects)
        # A second need on every third project: 60+ projects give 80+ needs.
        targets += [p for i, p in enumerate(projects) if i % 3 == 0]
        targets.sort(key=lambda p: p.id)
        withdraw_from = [NeedStatus.draft, NeedStatus.submitted, NeedStatus.listed]
        demo_owner_returned = False
        # approve[w]: approved just before edition w (3: before the draft of this period);
        # close[w]: (entry, final status) closed between edition w and the next one.
        self.approve = {w: [] for w in range(4)}
        self.close = {0: [], 1: []}
        listed = closed = 0
        for i, project in enumerate(targets):
            status = STATUS_PATTERN[i % len(STATUS_PATTERN)]
            owner_key = next(k for k, o in self.orgs.items() if o.id == project.org_id)
            owner = self.users[owner_key]
            if owner_key == "cdcj" and status is NeedStatus.draft and not demo_owner_returned:
                status, demo_owner_returned = NeedStatus.returned, True  # owner@demo.cn sees one
            reviewer = admin if i % 2 else admin2
            need = needs_service.create_need(project, self.need_data(project), by=owner)
            entry = _Entry(need, owner, reviewer, i % 4 == 0, status)
            if status is NeedStatus.listed:
                self.approve[listed % 3].append(entry)
                listed += 1
            elif status in (NeedStatus.financed, NeedStatus.expired) or (
                    status is NeedStatus.withdrawn and withdraw_from[i % 3] is NeedStatus.listed):
                # Half leave after the first edition; the others after the second, having
                # entered the first or the second.
                enter, leave = (0, 0) if closed % 2 == 0 else ((closed // 2) % 2, 1)
                self.approve[enter].append(entry)
                self.close[leave].append(entry)
                closed += 1
            elif status is NeedStatus.approved:
                self.approve[3].append(entry)
            elif status is NeedStatus.withdrawn:
                self.advance(need, withdraw_from[i % 3], owner, reviewer)
                needs_service.withdraw_need(need, by=owner, reason="项目融资方案调整，已通过其他渠道解决")
            else:
                self.advance(need, status, owner, reviewer, cycle=(i % 4 == 0))

    def advance(self, need, status: NeedStatus, owner: User, reviewer: User, cycle: bool = False) -> None:
        """Walk a draft need to `status` (at most approved) through the review services."""
        if status is NeedStatus.draft:
            return
        needs_service.submit_need(need, by=owner)
        if status is NeedStatus.submitted:
            return
        if status is NeedStatus.returned or cycle:
            needs_service.return_need(need, comment=self.rng.choice(RETURN_COMMENTS), by=reviewer)
            if status is NeedStatus.returned:
                return
            needs_service.submit_need(need, by=owner)
        needs_service.approve_need(need, by=reviewer)

    def approve_wave(self, entries) -> None:
        for e in entries:
            self.advance(e.need, NeedStatus.approved, e.owner, e.reviewer, cycle=e.cycle)

    def close_wave(self, entries) -> None:
        banks = [o for o in self.orgs.values() if o.kind is OrgKind.bank and o.is_verified]
        for n, e in enumerate(entries):
            if e.status is NeedStatus.financed:
                bank = banks[n % len(banks)]
                move(e.need, NeedStatus.financed, by=e.owner, note=f"已与{bank.short_name}签订融资合同")
                e.need.closed_at = utcnow()
            elif e.status is NeedStatus.expired:
                move(e.need, NeedStatus.expired, by=e.reviewer, note="清单有效期届满，未达成融资")
                e.need.closed_at = utcnow()
            else:
                needs_service.withdraw_need(e.need, by=e.owner, reason="项目融资方案调整，已通过其他渠道解决")

    # ---- list editions -----------------------------------------------------------------
    def periods(self) -> list[tuple[int, int]]:
        """The three periods before this one (published) and this one (a draft)."""
        year, period = self.today.year, (self.today.month + 1) // 2
        out = [(year, period)]
        for _ in range(3):
            year, period = (year, period - 1) if period > 1 else (year - 1, 6)
            out.insert(0, (year, period))
        return out

    def edit_need(self, e: "_Entry", **changes) -> None:
        """The owner edits a listed need (amount, term …): a material change, so the need
        goes back to review and the reviewer approves it again; the next edition shows it."""
        need = e.need
        data = dict(
            amount=need.amount, instruments=need.instruments, term_months=need.term_months,
            cost_ceiling=need.cost_ceiling, use_of_funds=need.use_of_funds,
            credit_enhancements=[CreditEnhancement(v) for v in need.credit_enhancements or []],
            funds_secured=need.funds_secured, contact_name=need.contact_name,
            contact_phone=need.contact_phone, contact_email=need.contact_email,
        )
        data.update(changes)
        needs_service.update_need(need, data, version=need.version, by=e.owner)
        if need.status is NeedStatus.submitted:
            needs_service.approve_need(need, by=e.reviewer, comment="修改内容已核实。")

    def raised_amount(self, e: "_Entry", percent: int) -> Decimal:
        need = e.need
        room = need.project.total_investment - need.funds_secured
        amount = min(need.amount * (100 + percent) / 100, room) // 100 * 100
        return max(amount, need.funds_secured, Decimal("1000")).quantize(Decimal("0.01"))

    def justify_flags(self, edition, *, every: int = 1) -> None:
        """The admin accepts red flags with a reason (every `every`-th one: a draft still
        in preparation keeps some red)."""
        items = {i.id: i for i in edition.items}
        n = 0
        for item_id, flags in editions_service.check_readiness(edition).items():
            for flag in flags:
                if flag.red and flag.justifiable:
                    if n % every == 0:
                        editions_service.justify(items[item_id], flag.code,
                                                 JUSTIFICATIONS.get(flag.code, JUSTIFICATIONS[None]),
                                                 by=self.users["admin"])
                    n += 1

    def publish(self, edition, when: datetime) -> None:
        admin, admin2 = self.users["admin"], self.users["admin2"]
        with _clock(when):
            if current_app.config.get("REQUIRE_SECOND_APPROVAL"):
                editions_service.request_publication(edition, by=admin2)
            editions_service.publish_edition(edition, by=admin)

    def editions(self) -> None:
        """2026 第3、4、5期 published (第4期 corrected once) and 第6期 being compiled, for a
        load in November: new, carried over, financed, withdrawn, expired and changed items."""
        admin = self.users["admin"]
        periods = self.periods()
        listed_at = []  # the entries listed by each published edition, still open after it
        for wave, (year, period) in enumerate(periods[:3]):
            late = None
            if wave == 2 and len(self.approve[2]) > 1:
                late = self.approve[2].pop()  # approved after the draft was compiled
            self.approve_wave(self.approve[wave])
            edition = editions_service.open_draft(year, period, by=admin)
            if late is not None:
                self.approve_wave([late])
                editions_service.add_item(edition, late.need, by=admin)
            self.justify_flags(edition)
            published = _publication_time(year, period, day=6)
            self.publish(edition, published)
            staying = [e for e in self.approve[wave] + ([late] if late else []) if e.status is NeedStatus.listed]
            listed_at.append(staying)
            if wave == 1:
                # A correction: the amount of one item was wrong; revision 2 replaces it.
                e = listed_at[0][0] if listed_at[0] else staying[0]
                old = e.need.amount
                self.edit_need(e, amount=self.raised_amount(e, -10))
                note = (f"「{e.need.project.name}」融资需求金额由{old:,.2f}万元更正为"
                        f"{e.need.amount:,.2f}万元（业主单位报送有误）。")
                draft = editions_service.create_correction(edition, note, by=admin)
                self.justify_flags(draft)
                self.publish(draft, published + timedelta(days=5))
            if wave < 2:
                self.close_wave(self.close[wave])
                # Owners change the terms of listed needs between two editions.
                for n, e in enumerate(listed_at[wave][-2:]):
                    if n == 0:
                        self.edit_need(e, amount=self.raised_amount(e, 15))
                    else:
                        self.edit_need(e, term_months=e.need.term_months + 24,
                                       cost_ceiling=Decimal("4.20") if e.need.cost_ceiling else None)
        # This period's draft: newly approved needs and the open ones carried over.
        year, period = periods[3]
        self.approve_wave(self.approve[3])
        draft = editions_service.open_draft(year, period, by=admin)
        new = [i for i in draft.items if i.need.status is NeedStatus.approved]
        if len(new) > 2:
            editions_service.remove_item(draft, new[-1], by=admin)  # 材料待补充，下期再议
        self.justify_flags(draft, every=2)


@dataclass
class _Entry:
    need: FinancingNeed
    owner: User
    reviewer: User
    cycle: bool  # returned once before approval
    status: NeedStatus  # where the need ends


JUSTIFICATIONS = {
    "capital_ratio": "项目资本金已由市级财政预算及专项债券安排，按建设进度分期到位，经市财政局确认。",
    "duplicate": "同一项目分别申报的不同融资品种需求，经核实非重复申报。",
    "instruments_stage": "项目已竣工投产，项目贷款用于置换前期建设借款，经行业主管部门确认。",
    None: "经市发展改革委投资处核实，同意列入本期清单。",
}


def _publication_time(year: int, period: int, *, day: int) -> datetime:
    """10:00 Beijing time on `day` of the period's first month."""
    return datetime(year, 2 * period - 1, day, 2, 0, tzinfo=UTC)


# Preference profiles (投资偏好) of the demo institutions, by kind; each institution takes the
# next of its kind's list in turn, so that 为您推荐 ranks differently for each of them.
_LOANS = ["project_loan", "working_capital_loan", "syndicated_loan"]
_KEY_LEVELS = ["provincial", "municipal"]
PROFILES = {
    OrgKind.bank: [
        dict(industries=["48", "54", "77", "46", "44"], instruments=_LOANS, levels=_KEY_LEVELS,
             amount=(10000, 300000), term=(60, 240)),
        dict(industries=["48", "47", "70", "78"], instruments=["project_loan", "syndicated_loan"],
             districts=["510116", "510185", "510112", "tianfu"], amount=(20000, 500000), term=(84, 300)),
        dict(industries=["27", "39", "36", "35", "34"],
             instruments=["working_capital_loan", "project_loan", "financial_leasing"],
             districts=["510116", "510117", "hitech"], amount=(2000, 50000), term=(12, 96)),
        dict(industries=["84", "83", "88", "89", "61"], instruments=["project_loan"], amount=(5000, 100000),
             term=(60, 180)),
    ],
    OrgKind.insurer: [
        dict(industries=["48", "54", "46", "44", "77"], instruments=["insurance_debt_plan", "equity"],
             levels=_KEY_LEVELS, amount=(50000, 800000), term=(84, 180)),
        dict(industries=["84", "83", "70", "47"], instruments=["insurance_debt_plan"], amount=(30000, 300000),
             term=(60, 150)),
    ],
    OrgKind.securities: [
        dict(industries=["48", "54", "77"], instruments=["bond", "abs_reits"], levels=_KEY_LEVELS,
             amount=(30000, 500000), term=(36, 84)),
        dict(instruments=["bond", "abs_reits", "equity"], amount=(20000, 300000), term=(36, 120)),
    ],
    OrgKind.private_capital: [
        dict(industries=["27", "39", "36", "65", "35"], instruments=["equity", "industry_fund"],
             amount=(1000, 30000), term=(36, 96)),
    ],
}


@contextmanager
def _clock(when: datetime):
    """Publish the past editions at their own dates (published_at, the stored exports)."""
    from app.services.editions import publishing

    original = publishing.utcnow
    publishing.utcnow = lambda: when
    try:
        yield
    finally:
        publishing.utcnow = original


def load_demo() -> bool:
    """Create the demo data; True if created, False if it was already there. The caller commits."""
    if accounts.find_user_by_email(MARKER_EMAIL) is not None:
        return False
    loader = _Loader()
    # Outside a request (the CLI) there is no visitor to choose a language: notifications
    # stored by the services are rendered in Chinese, the site's default.
    with force_locale("zh"):
        loader.organisations()
        loader.preferences()
        projects = loader.projects()
        loader.needs(projects)
        loader.editions()
        load_deals(loader.rng)
        db.session.flush()
    # Demo addresses are not real mailboxes: keep the in-app notifications, drop the e-mails.
    # The publications' notices are written now, without e-mail, instead of by their jobs.
    for job in jobs.discard("edition.notify"):
        editions_service.notify_readers(db.session.get(Edition, job.args["edition_id"]), email=False)
    mail.discard_queued()
    return True
