"""Understanding free text: one chat message -> one :class:`Intent` with its slots.

Deterministic rules, bilingual (Chinese / English, mixed in one message), tolerant of typos
(English keywords are corrected by edit distance against a small vocabulary; known products
and customers are matched fuzzily). No model, no I/O: tens of microseconds per message.

The pipeline: clean (length cap, markup, NFKC, traditional -> simplified by OpenCC) -> correct
English typos -> find dates, order references and quantities, masking
each span so that the 12 of "12月5日" is never a quantity -> decide the intent from keyword
families and the slots found -> give bare numbers their role (order or quantity) by intent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from typing import Literal, NamedTuple

from opencc import OpenCC
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from scheduler_core.services.errors import InvalidInput
from scheduler_core.services.refs import DEFAULT_PREFIX, MAX_TEXT, normalise_ref

from .intent_dates import find_dates, period_end, target_date
from .intent_numbers import (
    CN_NUMERAL,
    EN_NUMBER,
    EN_UNITS,
    NUMBER,
    cn_to_int,
    en_number_value,
    number_value,
    spoken_digits,
)

__all__ = ["INTENTS", "Intent", "IntentName", "StopLength", "match_customer", "parse", "stop_length"]

IntentName = Literal["order_status", "list_orders", "promise", "rush", "change_date", "change_quantity",
                     "cancel", "complaint", "human", "help", "language", "report_progress", "machine_down",
                     "machine_up", "machine_queue", "machine_status", "kpi", "late_orders", "summary", "gantt", "greeting", "thanks",
                     "expedite", "material", "complaints", "unknown"]
INTENTS: tuple[IntentName, ...] = ("order_status", "list_orders", "promise", "rush", "change_date",
                                   "change_quantity", "cancel", "complaint", "human", "help", "language",
                                   "report_progress", "machine_down", "machine_up", "machine_queue", "machine_status",
                                   "kpi", "late_orders",
                                   "summary", "gantt", "greeting", "thanks", "expedite", "material", "complaints",
                                   "unknown")


@dataclass(frozen=True, slots=True)
class Intent:
    """What a message asks for, with the slots that were found in it (None when absent)."""

    intent: IntentName
    order: str | None = None
    quantity: int | None = None
    product: str | None = None
    date: date | None = None
    customer: str | None = None
    language: str | None = None
    priority: bool = False  # wanted ahead of others (插单, rush, 急, asap), not booked where it fits ("new order", 追加)
    machine: str | None = None
    step: int | None = None
    minutes: int | None = None  # a machine stop's expected length ("停机半小时", "down for 2 hours")
    until: time | None = None  # or the clock time it runs again ("到下午3点", "until 15:30"); the
    # day it is back ("停机到12月5日") is ``date``
    late: bool = False  # a status question about lateness ("为什么延期了", "why is my order late")
    shift_days: int | None = None  # a date change relative to the promised date ("推迟3天" +3, "提前一周" -7)
    daily: bool = False  # a summary of how the days went ("日报", "how did we do yesterday"), not of the plan
    back: bool = False  # an order referred to, not named ("can it be earlier", "这个单到哪了", "能提前吗"): the chat's last one
    work: str | None = None  # the kind of work a report names ("焊完了" weld, "machined" machine): which step
    by_customer: bool = False  # late orders counted per customer ("哪个客户延误最多", "late orders by customer")
    scrap: int | None = None  # units scrapped in a report ("报废20件", "合格180 不良20", "5 scrapped"); then
    # ``quantity`` is the good ones ("做了200件，其中5件报废": 195)
    load: bool = False  # a summary asked for the machines' load ("瓶颈在哪", "which machine is the busiest")
    vip: bool = False  # the VIP orders only ("VIP订单有哪些", "which VIP orders are late")
    total: bool = False  # a report of the step's good units so far ("累计完成200件", "200 done so far"), not units since
    quantity_change: int | None = None  # a quantity changed by an amount ("再加50件" +50, "20 fewer" -20), not to it
    lower: bool = False  # expedite taken back: the order's priority lowered ("cancel the rush on SO-1042")
    because: bool = False  # the late orders an order made late ("which orders did SO-1451 delay", "哪些单子因为这个晚了"):
    # ``order`` is that order, or ``back`` the chat's last one


UNKNOWN = Intent("unknown")
MAX_QUANTITY = 10_000_000

# --- cleaning -------------------------------------------------------------------------------

_MARKUP = re.compile(r"<[^<>]{0,200}>|&[a-z]{2,8};|&#\d{1,7};|```|\*\*|__")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


def fold(text: str) -> str:
    """``text`` as the rules read it: NFKC (full-width letters and digits as ASCII), traditional
    Chinese as simplified (OpenCC's ``t2s``: 訂單 -> 订单, 軸套 -> 轴套), lower case. Known names
    are folded so too, so a customer written either way matches."""
    return str(_to_simplified().convert(unicodedata.normalize("NFKC", text))).lower()


# chat-app stickers written as words in brackets: "[微笑]", "[强]", "[抱拳]"
_STICKER = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")


def _is_symbol(ch: str) -> bool:
    """Emoji and other pictographs (👍 ✅ 😊 ⚠), their variation selectors and joiners: said
    around the words, never a word the rules read."""
    return unicodedata.category(ch) == "So" or ch in "\ufe0e\ufe0f\u200d" or "\U0001f3fb" <= ch <= "\U0001f3ff"


# a phone number is no order and no quantity: "联系电话 021-12345678", "Tel: +1 555 123 4567", "13800138000"
_PHONE = re.compile(r"(?:电话|手机|座机|联系方式|微信|tel|phone|mobile|mob|cell|whatsapp)\s*(?:号码?|no\.?|number|#)?\s*[:：]?\s*"
                    r"\+?[\d(][\d\s\-()]{5,}\d|\+\d{1,3}[\s\-]?\(?\d{1,4}\)?[\s\-]?\d{3,4}[\s\-]?\d{3,4}|"
                    r"(?<![\d\-])0\d{2,3}-\d{7,8}(?!\d)|(?<![\d\-])1[3-9]\d{9}(?!\d)")


# Cantonese words, and a few northern ones, as Mandarin says them (after traditional -> simplified):
# "我嘅订单去到边度" reads as "我的订单去到哪里", "搞掂未" as "搞定了没", "甭做了" as "不用做了". Only words
# that mean nothing else in Mandarin; "同", "系" or a lone "边" stay as they are.
_DIALECT_WORDS_AS_WRITTEN: dict[str, str] = {
    "唔该晒": "谢谢", "唔该": "谢谢", "多谢晒": "谢谢", "唔使": "不用", "唔好": "不要", "唔": "不", "冇": "没有", "嘅": "的", "咗": "了",
    "快啲": "快点", "早啲": "早点", "多啲": "多点", "少啲": "少点", "边啲": "哪些", "啲": "这些",
    "边度": "哪里", "边个": "哪个", "边间": "哪家", "边日": "哪天", "几时": "什么时候", "几多": "多少",
    "搞掂": "搞定", "佢": "它", "搵": "找", "倾下": "聊一下", "倾吓": "聊一下", "倾一下": "聊一下",
    "整返好": "修好", "整返": "修", "乜嘢": "什么", "咩嘢": "什么", "点解": "为什么", "做咩": "为什么",
    # not 宜家 ("now"): IKEA in Mandarin, a customer as likely as any
    "而家": "现在", "咁": "这么", "喺": "在", "嚟": "来", "睇": "看", "畀": "给", "攞": "拿",
    "甭": "不用", "花痕": "划痕", "掉链子": "出故障",
}
_DIALECT = {fold(k): v for k, v in _DIALECT_WORDS_AS_WRITTEN.items()}  # as the cleaning has them: 搵 -> 揾
_DIALECT_WORDS = re.compile("|".join(sorted(map(re.escape, _DIALECT), key=len, reverse=True)))
_DIALECT_NOT_YET = re.compile(r"(?<=[\u4e00-\u9fff])(?<![尚还并从仍])未(?=[\s?？!！。]*$)")  # "搞掂未": done yet? ("尚未" is not)


def _clean(text: str) -> str:
    text = "".join(" " if not ch.isprintable() or _is_symbol(ch) else ch for ch in text)
    text = _MARKUP.sub(" ", _STICKER.sub(" ", text))
    text = spoken_digits(_PHONE.sub(" ", fold(text)))
    text = _DIALECT_NOT_YET.sub("了没", _DIALECT_WORDS.sub(lambda m: _DIALECT[m[0]], text))
    text = text.replace("’", "'").replace("‘", "'")
    return _SPACES.sub(" ", text).strip()


# --- English typo correction -----------------------------------------------------------------

_VOCAB = (
    "where", "order", "orders", "status", "delivery", "deliver", "delivered", "shipping", "shipped", "slipping", "slipped", "slips",
    "update", "tracking", "cancel", "cancelled", "canceled", "change", "quantity", "rush", "urgent",
    "promise", "earliest", "soonest", "complaint", "complain", "unacceptable", "ridiculous", "terrible",
    "disappointed", "disappointing", "useless", "horrible", "awful", "english", "chinese", "language",
    "human", "person", "someone", "somebody", "agent", "representative", "salesperson", "help",
    "please", "tomorrow", "today", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "january", "february", "march", "april", "june", "july", "august", "september",
    "october", "november", "december", "reschedule", "postpone", "insert", "squeeze", "expedite",
    "schedule", "progress", "talk", "contact", "cancel", "person", "available", "pieces", "units", "instead", "finished", "customer", "speak", "switch",
    "commands", "options", "quote", "possible", "deadline", "orders", "unhappy", "pathetic",
    "waiting", "date", "due", "week", "month", "next", "list", "show", "when", "what", "soon",
    "running", "maintenance", "report", "reported", "delayed", "delay", "thanks", "thank", "broken", "machine",
    "deliveries", "overdue", "time", "queue", "priority",
    "machined", "machines", "reports", "times", "delays", "queued", "queues", "complaints", "complained", "complains",
)
_VOCAB_SET = frozenset(_VOCAB)
# chat shorthand too short to correct by edit distance
_SHORTHAND = {"nxt": "next", "wat": "what", "wats": "what's", "whats": "what's", "hows": "how's", "wheres": "where's",
              "sts": "status", "tmrw": "tomorrow", "hw": "how", "ur": "your", "u": "you", "v": "very", "lng": "long"}
# Ordinary words one edit away from a keyword, never to be "corrected".
_KEEP = frozenset((
    "thinks", "tile", "tide", "tame", "dime", "gain", "relay", "rename", "repot", "queen", "broke",
    "were", "here", "there", "other", "older", "odder", "border", "ordered", "hoe", "sure", "than",
    "then", "them", "they", "this", "that", "those", "these", "whom", "went", "want", "wants",
    "data", "dale", "dude", "rash", "rest", "rust", "push", "list", "lost", "last", "just", "must",
    "most", "post", "past", "test", "best", "next", "text", "week", "weak", "seek", "peek", "meek",
    "date", "late", "rate", "gate", "mate", "fate", "hate", "dare", "done", "gone", "none", "some",
    "come", "home", "shoe", "show", "snow", "slow", "blow", "flow", "glow", "grow", "know", "now",
    "soon", "moon", "noon", "soup", "when", "then", "what", "that", "chat", "hat", "wheat",
    "units", "unit", "change", "chance", "charge", "changes", "person", "persons", "prison",
    "order", "orders", "folder", "holder", "answer", "forward", "before", "update", "date",
    "today", "monday", "sunday", "friday", "march", "month", "months", "mouth", "match", "catch",
    "speak", "speaks", "steak", "shift", "ship", "shop", "stop", "step", "help", "held", "hell",
    "hello", "helps", "quote", "quota", "quite", "quiet", "human", "humor", "agent", "agents",
    "urgent", "argent", "cancer", "lancer", "dancer", "canal", "insert", "invert", "desert",
    "switch", "twitch", "stitch", "promise", "premise", "soonest", "honest", "earnest",
    "insteed", "plan", "plans", "pleased", "pleas", "lease", "please", "paste", "taste",
    "deliver", "deliverd", "liver", "delivery", "shipping", "shopping", "skipping",
    "deliveries", "delivers", "ships", "shipments", "busiest", "busier",
))


@lru_cache(maxsize=4096)
def _correct_word(word: str) -> str:
    if word in _SHORTHAND:
        return _SHORTHAND[word]
    if len(word) < 4 or word in _VOCAB_SET or word in _KEEP or not word.isascii() or not word.isalpha():
        return word
    # Two edits only for long words: "current" must not become "urgent".
    limit = 1 if len(word) < 8 else 2
    best = process.extractOne(word, _VOCAB, scorer=OSA.distance, score_cutoff=limit)
    if best is None:
        return word
    candidate: str = best[0]
    if candidate[0] != word[0] and len(word) < 6:
        return word
    return candidate


_WORD = re.compile(r"[a-z]+")


def _correct(text: str) -> str:
    return _WORD.sub(lambda m: _correct_word(m[0]), text)


# --- keyword families ------------------------------------------------------------------------


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


_LANG_EN = _rx(r"english", r"英文", r"英语", r"(?<![a-z])en(?![a-z])")
_LANG_ZH = _rx(r"chinese", r"mandarin", r"中文", r"汉语", r"普通话", r"国语", r"华语",
               r"(?<![a-z])(?:zh|cn)(?:[-_]?hans|[-_]cn)?(?![a-z])")
_LANG_ACTION = _rx(r"please|pls|plz|switch|change|speak|talk|reply|respond|answer|language|lang(?![a-z])|use|"
                   r"in (?:english|chinese)|thanks|thank you|thx|only",
                   r"说|讲|用|切换|换|改成|改为|回复|回答|语言|显示|界面|可以吗|吗|谢谢|请|版|模式|看不懂|只会|繁体|简体")
_LANG_ONLY = re.compile(r"(?:change|switch|set) (?:the )?language|切换语言|换个?语言|语言设置|改语言|language settings?|"
                        # "would it be possible to reply in Chinese from now on", "以后请用英文回复"
                        r"(?:reply|respond|answer|write|talk|speak|communicate|messages?)(?: to (?:me|us))? in (?:english|chinese)|"
                        r"(?:用|以)(?:英文|英语|中文|汉语)(?:回复|回答|交流|沟通)")
_HUMAN = _rx(r"转人工|人工|(?:转|找|联系)\s*(?:一下)?\s*(?:我们的|你们的)?\s*(?:sales|销售|客服|经理|(?<![a-z])cs(?![a-z]))|真人|找销售|找.{0,3}业务|业务员|业务经理|销售(?:经理|员|人员)?联系|负责我的销售|我的销售|客服|联系我|"
             r"给我打电话|打电话给我|回个?电话|找个人|找人|负责人|联系.{0,4}(?:销售|业务|负责)|"
             r"(?:和|跟|同|找)(?:你们的?|贵司的?)?(?:销售|业务员?|客服|经理|你们的人)(?:聊|谈|说|沟通|讲)|"
             r"(?:和|跟|同|找)(?:一下)?(?:负责|对接)[^，,。.!！?？]{0,8}(?:销售|业务员?|客服|经理|人)|"
             r"(?:和|跟|同|找)(?:你们的?|贵司的?)(?:老板|领导|负责人|经理)(?:聊|谈|说|沟通|讲)?|"
             r"(?:应该|该|可以|能|要)?(?:联系|找|问|打给|打电话给)谁|有没有人(?:可以|能)(?:联系|沟通|聊|谈)|联系方式|联系电话|电话(?:是)?多少",
             r"(?:talk|speak|chat)\s+(?:to|with)\s+(?:a |an |the |my |your |someone|somebody|sales|human|person|real|agent|manager|rep|boss)",
             r"real (?:person|human)|(?<![a-z])(?:human|agent|operator|representative|salesperson|sales rep)(?![a-z])",
             r"call me|contact me|contact us|connect me|reach me|get me (?:a|someone|sales)|someone (?:to )?call|"
             r"account manager|who(?:'s| is) (?:my|our) (?:sales ?(?:person|rep|contact)?|contact|rep|account)|"
             r"call[- ]?back|call me back|ring me|"
             r"(?:someone|somebody|anyone|a person|a human) on the (?:phone|line)|give (?:me|us) a (?:call|ring)|phone (?:me|us)(?![a-z])|"
             r"(?:someone|somebody|sb) (?:from sales )?(?:to )?(?:contact|call|get back)|"
             # "who do I talk to about this", "is there someone I can call", "who should we contact"
             r"who (?:do|should|can|could|would) (?:i|we) (?:talk|speak|contact|call|reach|ring|get in touch)|"
             r"who (?:to|can i|can we) (?:contact|call|talk to|speak to|reach)|"
             r"(?:someone|somebody|anyone|a person) (?:i|we) (?:can|could) (?:call|talk to|speak to|contact|reach)|"
             r"(?:phone|contact|telephone) (?:number|details|person|info)|get in touch with (?:someone|somebody|sales|you)")
# a question about complaints, not one: "who complained recently", "any complaints this week", "最近有哪些投诉"
# (how many there were is a key figure: "投诉有几个", "how many complaints")
_COMPLAINTS_ASKED = _rx(r"(?:哪些|什么|有没有|谁|哪个客户|哪家|最近的?|近期的?|本周的?|这周的?|今天的?|上周的?)"
                        r"(?:客户)?(?:的)?(?:投诉|客诉)|(?:投诉|客诉)(?:有)?(?:哪些|情况|列表|记录|汇总|内容)|谁(?:在)?投诉",
                        r"(?:who|which customers?|anyone|anybody)\s+(?:has\s+|have\s+)?complained|"
                        r"(?:who|which customers?)\s+complains?\s+(?:the\s+)?most|(?:哪个|哪家)客户.{0,2}投诉(?:得)?最多|"
                        r"(?<![a-z])(?:any|list(?: of)?|show(?: me)?(?: the)?|recent|new|latest|open|all(?: the)?)\s+complaints|"
                        r"complaints\s+(?:this|last|today|so far|recently|lately)")
_VIP_ORDERS = _rx(r"vip\s*(?:客户)?(?:的)?(?:订单|单子|单)", r"(?<![a-z])vip (?:customers?'?s? )?(?:orders|jobs)")
_COMPLAINT = _rx(r"投诉|不满|(?:开|写|搞|弄|算)错了|太慢|太差|太烂|破服务|什么破|垃圾|坑人|骗子|离谱|受够|一拖再拖|又延期|又拖|又晚|怎么又|差劲|气死|失望|搞什么|"
                 r"到底行不行|说好的|差评|不像话|再而三|岂有此理|坑爹|忽悠|不靠谱|太过分|过分了|不行啊|太坑|坑了|"
                 r"(?:两|三|四|五|几|多|[2-9])次(?:了)?(?:延期|延误|拖期|晚交|迟交|推迟|晚了)|"
                 r"(?:质量|quality\s*)(?:有)?问题|质量(?:太|很|真)?差|质量不行|裂纹|缺陷|不合格|次品|瑕疵|破损|有毛病|发错|少发|漏发|"
                 # a delay nobody announced: "晚了两天也没人通知", "延期了都不说一声"
                 r"(?:没|没有|也没|都没)(?:人|有人)?(?:通知|告诉|说一声|提前说)|(?:也|都)不(?:通知|告诉|说一声)|"
                 # a customer about to leave: "再拖我们就换供应商了"
                 r"换(?:个|一个|一家|家)?(?:供应商|厂家)|找别(?:家|的厂)|不(?:再)?(?:跟|和)你们合作|再也不(?:找|跟|用)你们",
                 r"unacceptable|not acceptable|ridiculous|complain|complaint|terrible|awful|useless|disappoint|worst|fed up|"
                 r"escalat(?:e|es|ed|ing|ion)(?![a-z])|non-?conform|(?<![a-z])rude(?![a-z])|impolite|unprofessional|"
                 r"horrible|pathetic|(?:this|that|it)(?:'s| is) a joke|poor service|bad service|angry|furious|frustrat|annoyed|"
                 r"unhappy|not happy|incompetent|shame on|rubbish|sucks|scam|never (?:order|buy|use)\w* (?:from|with)?|"
                 r"lost (?:a |our |the )?(?:client|customer|deal)|because of (?:your|the) delay|unreliable|bad experience|"
                 r"not ok(?:ay)?(?![a-z])|had enough|(?:switch|chang|find)(?:e|es|ing)? (?:to )?(?:another |a new |other |our )?(?:suppliers?|vendors?)|"
                 r"take (?:our|my) business elsewhere|keeps? (?:missing|slipping|being late|pushing)|"
                 r"(?:late|delayed|behind|slipped|slipping) again|defect|damaged|cracked|cracks|broken (?:parts|pieces|units)|"
                 r"wrong (?:parts|items|quantity|size|goods)|poor quality|bad quality|quality (?:issue|problem)s?|"
                 # a delay nobody announced, or a delivery that already came late
                 r"(?:nobody|no one|no-one|none of you) (?:told|informed|warned|called|said)|"
                 r"(?:never|didn'?t|did not|without) (?:tell|told|inform|informing|telling|warn|warning|notify|notifying)\w* (?:us|me|anyone)|"
                 r"(?:order|delivery|shipment|goods|package|parcel|batch|stuff|(?<![a-z])it|they)(?: \w+)? (?:arrived|came|showed up|"
                 r"got here|was delivered|were delivered|got delivered|turned up) (?:\w+ ){0,3}late(?![a-z])")
# what is wrong with delivered goods: a complaint unless a machine is named ("CNC-2 漏油" is the floor's)
_DEFECT = _rx(r"划痕|划伤|刮花|凹痕|磕碰|碰伤|生锈|锈蚀|锈迹|毛刺|变形|弯了|漏水|漏油|漏气|尺寸不对|尺寸(?:超差|偏差|有问题)|超差|装不上|"
              r"缺件|少件|数量不对|货不对|型号不对|规格不对|颜色不对|不对版|返工|退货|不良|"
              r"(?:送来|发来|收到|到货)的?(?:货|东西)?少了|少了(?:\d+|[一二两三四五六七八九十百几]+)(?:件|个|套|台|箱)",
              r"scratch(?:es|ed)|dent(?:s|ed)(?![a-z])|(?<![a-z])rust(?:y|ed|ing)?(?![a-z]|[- ]?(?:proof|protect|inhibit|resist|prevent))|burrs(?![a-z])|corroded|warped|(?<![a-z])bent(?![a-z])|"
              r"leak(?:s|ing|ed|y)(?![a-z])|out of (?:spec|tolerance)|(?:doesn'?t|don'?t|does not|do not|won'?t) fit|"
              r"missing (?:parts|pieces|items|units)|short[- ]shipped|wrong (?:dimensions?|colou?r|model|spec)|faulty|"
              r"(?:return|send) (?:them|it|the \w+) back|rework")
_ADDRESSED = _rx(r"你们|贵司|贵公司|贵厂|你家", r"(?<![a-z])your?(?![a-z])|you guys|you people|y'all")
_CANCEL = _rx(r"取消|撤单|撤销|撤回订单|撤了|撤掉|不要了|不需要了|不做了|别做了|不用做了|作废|退单|砍掉",
              r"cancel|call (?:it |this |that |the order )?off|no longer need|don'?t (?:need|want) (?:it|them|this|that|the)|"
              r"don'?t need \S+ (?:any ?more|anymore)|drop (?:the |this |that )?order|scrap (?:the|this|that|order|it)(?![a-z])|"
              r"kill (?:the |this |that )?order|pull(?:ed|ing|s)? the plug")
# a cancellation said not to be one: "不是取消，是推迟", "别取消，改成300件", "don't cancel 1077, just push it"
_NOT_CANCEL = re.compile(r"(?:不是|别|不要|不用|先别|并不是|没说)\s*(?:要)?\s*(?:取消|撤单|撤销|作废)|"
                         r"(?<![a-z])(?:do ?n[o']?t|do not|not|no need to|never) (?:to )?(?:cancel|drop|scrap)(?![a-z])")
_RUSH_STRONG = _rx(r"插(?:一个|一笔|一张|一|个)?急?单|追加(?=\s*(?:\d|[一二两三四五六七八九十百千]|订单|一单|个单))|插进|插入|急单|加一单|加个单|加单|新增订单|新加.{0,3}单|追加订单|下个?急单|紧急订单|"
                   r"排(?:一个|个|一)单|"  # "给美的集团排一个单 法兰盘 200个": a new order into the plan
                   # "给美的集团整 200 个法兰盘", "给客户A做300件轴套": pieces made for a customer
                   r"给[^，,。?？]{1,12}?(?:整|做|安排|排|生产)\s*(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:个|件|套|台|只|支|pcs)",
                   r"(?<![a-z])rush|squeeze|insert|urgent (?:order|job)|expedite|new order|new (?:po|p\.o\.|purchase order)(?![a-z])|add (?:an |a )?order|hot order|emergency order|"
                   r"jump the queue|cut in line|queue[- ]jump")
_RUSH_WEAK = _rx(r"加急|急急|特急|火急|(?:^|[\s，,。!！])急[!！。]*$", r"urgent")
# money, paper and shipping terms (price, discount, invoice, payment, contract, delivery address,
# packing, certificates, split deliveries): the sales contact's, passed on as a request for a
# person; a plan's dates are asked in other words ("quote me a date" is a promise)
_COMMERCIAL = _rx(r"价格|价钱|单价|报价|报个价|多少钱|便宜|优惠|折扣|打折|降价|涨价|发票|开票|付款|货款|账期|结账|对账|合同|定金|订金|运费|"
                  r"收货地址|送货地址|地址|包装|装箱单|唛头|质检报告|检验报告|合格证|材质证明|分批(?:发|交|送|出)|"
                  r"先(?:发|送|交)(?:一部分|一些|一半|部分)|部分(?:发货|交货|出货)",
                  r"(?<![a-z])(?:price|prices|pricing|priced|cost|costs|discount|cheaper|invoice|invoices|invoiced|"
                  r"payment|payments|pay|paid|contract|deposit|credit terms|payment terms|unit price|quotation|freight charge|shipping cost|"
                  r"(?:delivery|shipping) address|address|packaging|packing list|certificates?|coc|partial (?:shipment|delivery)|"
                  r"split (?:the )?(?:shipment|delivery|order))(?![a-z])|ship (?:half|part) (?:of it )?(?:now|first)")
# placing a new order in so many words: a new order (a rush preview, or for a customer, a request to
# their sales contact) when it names a product or a quantity and no existing order; asked as a
# question ("can I order another 200 …?") it is a promise question
_PLACE_ORDER = _rx(r"下个?单|下一单|下了?(?:个|一个|一笔|一张|张)?新?订单|再订|想订|要订|订购|订货|再来一批|再要一批|"
                   r"(?:再|想|想再|还想)(?:要|来|订|做)\s*(?=\d|[一二两三四五六七八九十百千])",
                   r"(?:like|want|wish|need|going|plan|planning|wanna|ready) to (?:place an? )?order(?![a-z])|"
                   r"(?<![a-z])(?:place|placing|put in|putting in|submit|submitting|raise|raising|send|sending|issue|issuing)"
                   r"(?: you| us)? (?:an? |another |one more |a new |new |our )?(?:order|po|p\.o\.|purchase order)(?![a-z])|"
                   r"(?<![a-z])order (?:another|more|an? extra|extra|additional|some more)(?![a-z])|"
                   r"(?:another|one more|an? extra|a second|a further) (?:batch|order|lot|run|round)(?![a-z])|"
                   r"(?<![a-z])(?:reorder|re-order|repeat order)(?![a-z])|\d\s*(?:more|extra|additional)(?![a-z])")
# a question about a new order ("can I order another 200 …?"), not an urgency ("as soon as you can")
_PLACING_ASKED = re.compile(r"\?|？|吗|能不能|能否|可不可以|什么时候|几号|哪天|多久|最快|"
                            r"(?<![a-z])(?:can|could|when|what|how)(?![a-z])")
_ASAP = re.compile(r"as (?:soon|fast|quickly|early) as (?:you|we|u|possible)(?: can| could)?")
# needed urgently: a rush order when it names a product or a quantity ("美的急要法兰盘500个")
_RUSH_NEED = _rx(r"急要|急需|急用|急着要|赶着要|着急要|要得急|要的急|等着用", r"badly need|needs? (?:\w+ ){0,4}(?:fast|asap|urgently|right away)")
_PROMISE = _rx(r"最快|最早|(?<!还要)(?<!还得)(?<!还需要)多久|(?<![还再])(?:要|需要|得)几天|(?<![还再])几天(?:能|可以)?(?:出|交|做|完|好)|几号(?:能|可以)?交|几号|哪天(?:能|可以)?|能不能.{0,8}(?:交|做|出)|能否.{0,4}交|来得及|承诺|交期多久|能交|可以交|"
               r"做得出|能做(?![完好])|(?:如果|假如|要是)(?:我们|我)?(?:现在|今天|马上)?(?:下单|订)|报.{0,3}交期|算.{0,4}交期|的交期|什么时候能做(?![完好])|什么时候可以交|要多长时间|需要多少天",
               r"how soon|how fast|how long|how quickly|how many days|earliest|soonest|lead ?time|(?<![a-z])promise|quote|"
               r"can (?:we|you|u|i|ya) (?:do|make|get|deliver|produce|ship|have|supply|manage|promise|fit|take on|handle)|when (?:can|could) (?:we|you|u|i)|"
               r"could (?:we|you|u|ya) (?:do|make|get|deliver|produce|ship|have|supply|manage|promise)|is it possible|possible to|capable to|ctp|"
               r"if (?:we|i|you|they) (?:order|ordered|place|placed|buy|bought|book|booked)(?![a-z])|"
               r"capacity (?:\w+ ){0,5}for|(?:room|space|slot) (?:\w+ ){0,4}for \d|available|what date|(?<![a-z])possible(?![a-z])|doable|feasible")
_CHANGE = _rx(r"改|调整|推迟|延后|延迟|延期到|往后|提前|换成|变成|加到|减到|增加到|减少到|增至|减至|加至|挪到|调到|延到|延至|推到|推后|拉到|排到|只要|只需要|"
              r"多做|少做|再加|减少|增加",
              r"change|move|(?<![a-z])push|postpone|reschedule|update|instead|modify|bring .{0,12}forward|pull .{0,12}in(?![a-z])|"
              r"delay (?:it |this |that )?(?:to|until|till)|(?<![a-z])delay \S+ (?:to|until|till)|shift|amend|adjust|increase|decrease|"
              r"reduce|raise|bump|set (?:it |the )?(?:to|qty|quantity|date|due)|(?<![a-z])cut (?:\S+ ){0,3}(?:to|by|down)(?![a-z])|make it \d|(?<![a-z])now(?![a-z])|rather than|should be|shd be|"
              r"->|=>|wants? it on|new date|date change|moved to|(?<![a-z])(?:later|earlier)(?![a-z])(?! than)")
_QTY_WORD = _rx(r"数量|(?<![质流])量|件数|个数|多做|少做|再加|qty|quantity|quantities|amount|(?<![a-z])(?:pcs|pieces|units|volume)(?![a-z])")
_DATE_WORD = _rx(r"交期|交货期|交货日|日期|时间|推迟|延后|延迟|提前|往后|延期|推到|推后|延到|挪到|拉到|改期",
                 r"(?<![a-z])(?:due|date|deadline|postpone|reschedule|delay|move|moved|push)|deliver|ship|bring .{0,12}forward|"
                 r"pull .{0,12}in(?![a-z])")
_LIST = _rx(r"订单列表|(?:订单|单子)都|所有(?:的)?(?:订单|单子|单)|全部(?:的)?(?:订单|单子|单)|哪些(?:订单|单子|单)|单子都有|订单都有|有什么(?:订单|单子)|"
            r"几个(?:订单|单子)|多少(?:订单|单子|个单|单)|列表|列出|列(?:一下|个|下)|下了哪些|看(?:下|看|一下)?(?:我|我们)的?(?:订单|单子)$|订单们",
            r"my orders|all (?:my |our |the |open )?orders|(?<![a-z])list(?![a-z])|open orders|open (?:items|lines|positions)|backlog|what orders|which orders|orders\?|"
            r"(?:show|see|view) (?:me )?(?:my |our |all )?orders|order list|outstanding orders|pending orders|active orders|"
            r"current orders|what (?:have|did) (?:i|we) order|"
            r"at[- ]risk(?: (?:orders|ones|jobs))?(?![a-z])|how many (?:open |active |current )?orders(?: do we have| are (?:open|there))")  # "show at-risk orders": the list, late and at risk first
_MY_ORDERS_ONLY = re.compile(r"^(?:我的|我们的|我司的?)?(?:所有)?(?:订单|单子)(?:呢|吗|\?)?$|^(?:my |our )?orders\??$")
_STATUS = _rx(r"到哪|在哪|怎么样|咋样|如何|进度|进展|情况|状态|到了没|到了吗|到没到|发货|发了|发出|出货|什么时候|啥时候|何时|哪天|几号|"
              r"做好|好了没|好了吗|完成|做完|完了|弄好|搞定|做到|哪一步|工序|预计|交货日期|交货时间|交付|交期|催|还要多久|多久|能按时|按时|准时|延误|延期|"
              r"晚了|推迟了|又推迟|被推迟|延迟了|还没到|没收到|查一下|查查|查下|查询|跟踪|物流|这么慢|还没好|还没做好|"
              r"还要几天|还得几天|还差几天|几天能好|几天能做好|还剩(?:多少|几)|剩(?:下)?多少|没(?:有)?动静|没(?:有)?消息|没音讯|"
              r"能(?:做)?(?:好|完|完成)(?:吗|不|没)|"
              # whether it has started, or was forgotten: "1042开始生产了没", "是不是把我们的单忘了"
              r"开始(?:生产|做|加工|排产)?了?(?:没|吗|么|没有)|开工了?(?:没|吗|么|没有)|投产了?(?:没|吗|么)?|(?:忘了|忘记了)|"
              # whether it arrives in time: "我的货能不能下周一前到", "下周一前能到吗", "赶得上月底吗", "会不会晚"
              r"(?:能不能|能否|可不可以|是否能?)[^，,。?？]{0,12}(?:到|送达|送到)|能[^，,。?？]{0,4}到(?:齐|货)?(?:吗|不|么)|到得了|赶得上|赶不赶得上|"
              r"会不会(?:晚|延|拖)|"
              # whether it is in the plan yet: "我的单子排上了吗", "排进计划了吗", "has my order been scheduled"
              r"排上|排进|排产了(?:没|吗)|排了(?:没|吗)|安排上|还没(?:有)?(?:排产|排上|安排|开工|开始做|开始生产|动工)",
              r"(?:been|get|got|is|was|it)\s+(?:scheduled?|planned)(?![a-z])|(?:order|it)\s+scheduled?\??$|in the (?:plan|schedule)(?![a-z])|"
              r"where|status|(?<![a-z])eta(?![a-z])|(?<![a-z])wip(?![a-z])|work in progress|when|on time|on track|on schedule|tracking|track|update|news|late|delayed|"
              r"done|ready|finished|progress|ship|deliver|arrive|(?:go|going|goes|went|gone|be sent|get sent|sent) out(?![a-z])|how(?:'s| is) (?:my |our |the |it)|any word|still waiting|check|"
              r"(?:get|be) (?:here|there)(?![a-z])|get (?:it|them|(?:my|our|the) \w+) to (?:us|me)|how far|doing|complete|happening|how many (?:\w+ )?(?:left|remaining|to go)|still on(?![a-z])|make it (?:by|on|in time)|(?<![a-z])be ready|going on|(?<![a-z])were (?:is|are|r)(?![a-z])|coming along")
_HELP = _rx(r"帮助|怎么用|如何使用|怎么操作|使用说明|说明书|功能|能做什么|能干什么|可以做什么|会什么|干什么|干啥|干嘛|做啥|会啥|菜单|指令|命令|教程|不会用|怎么查|"
            r"^帮忙$|^求助$",
            r"(?<![a-z])help(?![a-z])|what can (?:you|i|u|this)|how to use|commands?\b|"
            r"how (?:do|does|can|should) (?:i|we|this|it|you|the)(?: (?:bot|thing|system|app|service|chat|tool))? (?:use|work)|"
            r"(?<![a-z])menu(?![a-z])|options|instructions|usage|what do you do|how does this work|getting started|"
            r"what (?:should|can|do) i (?:type|say|ask|write)")
_EARLIER = _rx(r"提前|提早|早点|早一点|早一些|早些|早几天", r"earlier|sooner|bring .{0,12}forward|pull .{0,12}in(?![a-z])|prepone")
# an order referred to instead of named: the one the chat is about
_BACK = _rx(r"它|这个单|这单|那单|那个单|这个订单|那个订单|这张单|该订单|这批货|那批货|这一单|此单",
            r"(?<![a-z'])(?:it|this one|that one|this order|that order|the same order)(?![a-z])")
# "it" that stands for no order: "is it possible to deliver 400 by Dec 12", "it would be great if ..."
# an order number alone, or asked after another one: its status
_FOLLOW_UP = re.compile(r"(?:and|also|what about|how about|same for|那|那么|还有)?[\s,，]*(?:#?\d+[\s#,，.]*)+"
                        r"(?:then|too|as well|呢|的呢|也是|也)?[\s.?？!！。]*")
_FOLLOW_UP_BACK = re.compile(r"(?:and|what about|how about|那|那么|还有)?[\s,，]*"
                             r"(?:这个|那个|它|这单|那单|这个单|那个单|that one|this one|it)(?:呢|怎么样|如何)?[\s?？!！。]*")
def _unsaid_arrival(t: str, f: _Features) -> bool:
    """A short Chinese question whether it arrives by a day, its subject left unsaid as Chinese
    does ("周日前能到吗", "下周一能到吗"): the chat's order, else the asker's orders by then."""
    return (len(t) <= 16 and f.has_date and bool(_ARRIVE.search(t)) and bool(re.search(r"吗|么|不|[?？]", t))
            and bool(re.search(r"[\u4e00-\u9fff]", t)) and not (f.maybe_ref or f.has_product or f.has_customer
                                                              or f.numbers or _CHANGE.search(t)))


def _refers_back(t: str) -> bool:
    """``t`` speaks of an order it does not name, the one the chat is about: "it", "这个单" (not
    the "it" of "is it possible ..."), or "this one" asked alone ("这个呢")."""
    return bool(_BACK.search(_DUMMY_IT.sub(" ", t))) or bool(_FOLLOW_UP_BACK.fullmatch(t))


_WHEN_ASKED = _rx(r"什么时候|啥时候|何时|哪天", r"(?<![a-z])when (?:will|is|are|does|do|can|could|would|should)(?![a-z])")
_DUMMY_IT = re.compile(r"(?:is|was|would|will|could|'?d) it (?:be )?(?:possible|ok|okay|feasible|fine|alright|doable)|"
                       r"what (?:time|day|date) is it|how(?:'s| is) it going|"
                       r"(?<![a-z'])it(?:'s| is| would be| will be) (?:possible|ok|okay|feasible|fine|urgent|great|nice|"
                       r"helpful|appreciated|important)")
_HOW_FAR = _rx(r"多少|几天|几时|怎么样|如何|进度|好了没|好没好", r"how (?:much|many|far|long)|(?<![a-z])left(?![a-z])|remaining|on track|progress")
# asking whether it can be so: "能提前吗", "有没有可能提前一点", "is there any way to get it earlier"
_CAN_IT = _rx(r"吗|能不能|可不可以|可以|能否|有没有可能|是否可能|行不行|\?|？",
              r"(?<![a-z])(?:can|could)(?![a-z])|possible|any way|any chance|\?")
_HOW_TO = re.compile(r"^how (?:do|can|should|would) (?:i|we|one) (?!compare|stack up|measure up|look)|^how to |^what do i (?:type|send|write) to |"
                     r"^(?:请问)?(?:怎么|如何|怎样)(?:才能)?(?:下|提交|新建|创建)(?:一个|个)?新?的?(?:订单|单)|"
                     # bringing data in or out, which the web app does: "怎么导入订单", "upload orders from excel"
                     r"^(?:怎么|如何|我想|我要|想|要)?(?:批量)?(?:导入|导出|上传|下载)|(?<![a-z])(?:import|upload|export)\w* "
                     r"(?:\w+ )?(?:orders|routings|machines|calendars|data|excel|csv|from)")
# an order that exists, faster: "SO-1042 加急", "能不能快点", "can you speed it up", "expedite 1042"
_EXPEDITE = _rx(r"快点|快一点|快些|加快|加速|尽快|早点|早一点|赶一赶|赶一下|赶工|催一下|优先做|优先安排|先做|"
                r"往前排|往前挪|往前提|排(?:到|在)?前面|排前一点|挪(?:到|在)?前面|提前排|优先(?:排|生产|处理|加工|考虑)|"
                r"(?:提|排|放|挪|调)(?:到|在)(?:第一个?|第一位|最前面?|最先)",
                r"speed (?:it |this |that |things |them |my order |our order )?up|hurry|(?<![a-z])sooner|faster|"
                r"expedite|prioriti[sz]e|bump (?:it |this |that )?up|"
                r"(?:give|make|set|put) (?:\S+ ){0,3}(?:top|high|higher|first|more) priority|"
                # "bump SO-1077 up the queue", "move it to the front of the line"
                r"(?:bump|move|push|put|get|take)\s+(?:\S+\s+){0,3}(?:up|higher|forward)\s+(?:in\s+)?the\s+(?:queue|line|list|schedule)|"
                r"(?:to|at) the (?:front|head|top) of the (?:queue|line|list|schedule)")
_LATE_WORD = _rx(r"延期|延误|延迟|晚了|晚的|会晚|晚不晚|晚交|交晚|迟了|迟交|拖期|逾期|还没到|这么慢|还没好",
                 r"(?<![a-z])late|delay|behind|overdue|(?<![a-z])(?:so|too|this) slow(?![a-z])|"
                 r"tak(?:e|es|ing) (?:so|this|that|too) long|(?:so|this) long (?:to|for)(?![a-z])")
# a later day accepted for an order: "客户说12月底前交就行", "月底交就可以", "SO-1042 can wait until mid December"
_DATE_OK = _rx(r"(?:交|发|发货|出货|到|做完|完成|做好)(?:就行|就可以|就好|也行|也可以|都行|没问题)",
               r"(?:can|could) wait (?:until|till|to)|(?:not|isn'?t|aren'?t) needed (?:until|till|before)|"
               r"(?:is|are) (?:fine|ok|okay|good) (?:by|for)")
_QUESTION_MARK = re.compile(r"[?？]|吗|么$")
# the promised date said, not changed: "a quick reminder that SO-1130 is due this Friday"
_DUE_STATED = re.compile(r"(?<![a-z])(?:is|are|was|were|it'?s|'s) (?:due|promised|scheduled|supposed to (?:ship|arrive|be ready))(?![a-z])")
# a priority lowered, not raised: "SO-1042 no longer urgent, normal priority"
_PRIORITY_DOWN = _rx(r"取消|降低|不急|不用急|恢复正常|普通", r"lower|normal|remove|drop|cancel|no longer|not urgent|no rush")
# a rush taken back: "cancel the rush on SO-1042", "SO-1042 no longer urgent", "1042不用加急了", "取消1042的加急"
_RUSH_WORD = _rx(r"加急|急单|插单|优先|紧急|急", r"(?<![a-z])(?:rush|urgent|priority|expedite|expedited|hot)(?![a-z])")
_TAKEN_BACK = _rx(r"取消|不用|不要|不必|不再|不需要|撤销|恢复正常|降低|不急",
                  r"cancel|no longer|not (?:urgent|a rush|needed)|no (?:rush|need)|remove|drop|lower|normal|back to normal|undo|"
                  r"take (?:off|back)|call off")


def _lowered(t: str, f: _Features) -> bool:
    """An order's rush or priority taken back (never the order itself cancelled)."""
    return bool(f.maybe_ref and _RUSH_WORD.search(t) and _TAKEN_BACK.search(t)) and not f.quantities \
        and not f.has_product and not f.shift and not f.has_date  # "不急了，往后推两周": a date change


# asked about a priority, not asking for one: "is SO-1042 a priority order?", "SO-1042 是不是加急的"
_PRIORITY_ASKED = re.compile(r"^(?:is|was|are) |是不是|是否|有没有|吗|\?|？")
# "why is my order so slow", "what's taking so long": why it is late, asked without an order's number
_WHY_SLOW = _rx(r"怎么这么慢|为什么这么慢|为啥这么慢", r"what'?s taking|why (?:is|are|does|do) .{0,30}(?:slow|long)|why the delay")
# which orders an order (a rush) made late: "which orders did SO-1451 delay", "哪些单子因为这个晚了",
# "SO-1451插进来以后哪些单晚了", "who got delayed because of the rush"
_BECAUSE_OF = _rx(r"因为(?:这个|这单|那单|它|插单|急单|这个插单|这个急单|so|\d)|(?:插|加)(?:进来|进去|了)(?:以后|之后|后)|被(?:这个|它|插单|急单)",
                  r"because of (?:the |that |this |it|so|order|\d)|due to (?:the |that |this )?(?:rush|insert|so|order|\d)|"
                  r"(?:orders?|ones|who|which) (?:did|does|will|would) (?:so-?\d+|\d+|it|the rush|that rush|this rush) "
                  r"(?:delay|push|bump|make late)|what did (?:the|that|this) rush do")
_WHO = _rx(r"谁|哪个|哪家", r"(?<![a-z])(?:who|which|what)(?![a-z])")
_WHY = _rx(r"为什么|为何|为啥|怎么会|怎么还|怎么没|怎么这么|咋", r"(?<![a-z])why|how come|what happened|reason")
_PRIORITY = _rx(r"加急|紧急|(?<![a-z])vip(?![a-z])|优先|特急|火急|急急", r"urgent|asap|high[- ]priority|top priority|(?<![a-z])priority(?![a-z])|critical")
# a new order wanted ahead of others (插单, rush), not one booked where it fits ("new order", 下单, 追加)
_URGENT = _rx(r"插|急|赶|催|尽快|越快越好|马上|立刻",
              r"(?<![a-z])(?:rush|squeeze|insert|expedite|hot order|emergency|jump the queue|cut in line|queue[- ]jump|"
              r"as soon as|right away|immediately|fast|quickly|hurry)")
_NOT_URGENT = _rx(r"不急|不着急|不用急|不赶|不用赶|不必急", r"no rush|not urgent|no hurry|not in a hurry|whenever|no need to rush")

# the shop floor and the managers
# the plan as a picture, or the plan itself asked to be sent or shown ("排产计划发我看看", "send me the schedule")
_GANTT = _rx(r"甘特|排产图|计划图|排程图|排程表|排产表|(?:排产|生产|排程)计划(?:表|图)?(?:发|给|看|拿)|"
             # the plan of a day, no machine named: "明天的计划", "今天的排产", "what's the plan for tomorrow"
             r"^(?:今天|明天|后天|本周|这周|下周)的?(?:生产|排产|排程)?(?:计划|排产|排程|安排)(?:是什么|呢)?[?？。]?$",
             r"gantt|(?<![a-z])chart(?![a-z])|schedule (?:picture|image)|plan picture|"
             r"^(?:please )?(?:send|show)(?: me| us)? (?:the |our |this week'?s |today'?s )?(?:production )?(?:schedule|plan)[.!?]?$|"
             r"^(?:what'?s |what is )?(?:the )?(?:production )?(?:plan|schedule) for (?:today|tomorrow|this week|next week)[.!?]?$|"
             r"^(?:show me |send me )?(?:today|tomorrow|this week|next week)'?s (?:production )?(?:plan|schedule)[.!?]?$")
_KPI = _rx(r"on[- ]?tim(?:e)?[- ]?rate|准时率|准交率|交付率|达成率|平均(?:交货|交付|生产)?(?:周期|交期|提前期)|"
           r"投诉(?:有|了)?(?:几|多少)(?:个|起|次|条|单)?|(?:几|多少)(?:个|起|次|条)投诉|投诉(?:数|数量|率)|(?:交货|交付|发货)(?:准时|按时|及时)率|(?:准时|按时|按期|及时)(?:交货|交付|完成|发货)率|指标|看板|满意度|投诉率|交付(?:表现|绩效)|准交情况|(?:和|跟|与|比)(?:上周|上个?月|上星期)(?:比|相比|比较|对比)?|环比|同比",
           r"(?<![a-z])kpis?(?![a-z])|on[- ]?time (?:delivery|performance|rate|percentage|%)|(?<![a-z])otd(?![a-z])|"
           r"delivery (?:performance|rate)|key figures|metrics|dashboard|satisfaction score|"
           r"(?:average|avg|mean|our) (?:production )?lead[- ]?times?|how many complaints?|"
           r"compared? (?:with|to) (?:last|the previous|previous) (?:week|month)|(?:vs\.?|versus) (?:last|previous) (?:week|month)|"
           r"week (?:over|on) week|month (?:over|on) month|"
           # "how did the factory do this month", "are we going to hit our targets this week"
           r"how (?:did|do|are|have|is) (?:we|the factory|the shop|the plant|production)(?: been)? (?:do|doing|done|going) "
           r"(?:this|last) (?:month|week|quarter)|(?:hit|meet|make|reach) (?:our|the) (?:[\w-]+ )?(?:targets?|goals?|kpis?)|"
           r"达标|完成目标|目标(?:能|能不能)?完成")
_SUMMARY = _rx(r"汇总|总结|概况|概览|总览|摘要|日报|周报|简报|早报|晚报|瓶颈|(?:交付|交货|出货)情况|延误情况|延期情况|整体情况|今日情况|"
               r"(?:哪|那)(?:台|个|些)(?:机器|设备|机台|机床|工位|产线|线)(?:最忙|最紧|负荷最|最满|排得最满|压力最大)|"
               r"负荷最(?:高|大|重)|卡脖子|(?:哪|那)(?:个|道|台|条)?(?:工序|环节|工段|机器|设备|机台|产线|线)最(?:卡|堵|慢)|最忙的(?:机器|设备|机台|机床|工位)|(?:昨天|昨日|今天|本周|这周|上周)(?:的)?(?:情况|表现)(?:怎么样|如何|咋样)?|"
               r"^(?:昨天|昨日|本周|这周|上周)(?:的)?(?:情况|表现|生产|交货|交付)?(?:怎么样|如何|咋样|怎样)[?？]*$|"
               r"(?:今日|今天|每日|本周|这周|生产|排产|计划)的?(?:报告|报表)|(?:昨天|昨日|上周|本周|这周|本月|上个?月)的?(?:报告|报表|汇总|数据)",
               r"summary|overview|briefing|bottleneck|status report|how is the plan|how's the plan|plan status|"
               r"busiest|most loaded|(?:which|what) (?:machine|station|step|process|line|operation)s? (?:is |are )?(?:holding|slowing|blocking)|"
               r"(?:machine|station|line)s? (?:is |are )?(?:the )?(?:overloaded|most busy)|"
               r"how did we do|how are we doing|how(?:'s| is| was) (?:the )?(?:factory|shop|floor|plant) doing|"
               r"how (?:was|were|did) (?:yesterday|last week|the week|this week|the day|today)|"
               r"(?:today'?s|daily|morning|evening|weekly|shift|end[- ]of[- ](?:the )?(?:day|shift)|management|manager'?s) report|"
               r"report (?:for|of|on) (?:today|the day|this week|yesterday|last week)|"
               r"(?:yesterday|last week|this week|last night|the week|last month|this month)'?s? (?:report|numbers|figures|summary)|"
               r"(?:send|show|give|get|forward|share) (?:me |us )?(?:the |today'?s |this morning'?s )?report(?![a-z])|"
               r"(?:delay|delivery|deliveries|late[- ]orders?) (?:report|summary|briefing|digest)|"
               r"how (?:are|were) (?:the |our )?deliveries (?:going|doing)")
# how the plan as a whole looks, when no order or machine is named: "排产计划怎么样", "这周的排产情况",
# "what does the schedule look like" (with an order named: its status; with a machine: its queue)
# how many went out in a day or a week: the daily summary counts them ("昨天交了几单", "how many did we ship last week")
_SHIPPED_COUNT = _rx(r"(?:昨天|昨日|今天|本周|这周|上周|本月|这个月|上个?月)(?:一共|总共)?(?:交|发|出)(?:了|货)?(?:几|多少)(?:个)?(?:单|批|订单)",
                     r"how many (?:orders |jobs )?(?:did|have) we (?:ship|deliver|send out)")
_PLAN_LOOK = _rx(r"(?:排产|排程|生产计划|排产计划|计划)(?:的)?(?:情况|安排)?(?:怎么样|如何|咋样|怎样)|(?:排产|排程)情况",
                 r"how(?:'s| is| does) (?:the |our )?(?:production )?(?:plan|schedule) (?:look|looking|going)|"
                 r"what does (?:the |our )?(?:production )?(?:plan|schedule) look like")
# a summary of how the days go (deliveries, delays, a day or a week: the daily delay summary),
# unless it names the plan or its machines ("排产情况汇总", "what's the bottleneck")
_DAILY = _rx(r"日报|早报|晚报|简报|周报|月报|昨天|昨日|每日|今日|今天|当天|本周|这周|上周|本月|这个?月|上个?月|交付|交货|出货|延误|延期|逾期|拖期",
             r"daily|yesterday|today|tonight|how did we do|how are we doing|last week|this week|weekly|morning|evening|"
             r"last month|this month|monthly|"
             r"brief|deliver|delay|(?<![a-z])late|end[- ]of[- ](?:the )?(?:day|shift)|shift report")
_PLAN_SUMMARY = _rx(r"计划|排产|排程|瓶颈|负荷|最忙|设备|机器|机台|机床",
                    r"(?<![a-z])plan|schedule|bottleneck|busiest|loaded|machine|station")
# the machines' load: which one is the bottleneck, the busiest, how full they are
_LOAD = _rx(r"瓶颈|负荷|最忙|最紧|最满|排得最满|压力最大|卡脖子|最卡|最堵|产能|利用率|忙不忙",
            r"bottleneck|busiest|(?<![a-z])load(?:ed|s)?(?![a-z])|capacity|utili[sz]ation|how (?:full|busy) (?:are|is)|满不满")
_DAILY_ONLY = _rx(r"日报|早报|晚报|周报|月报|简报|昨天|昨日|上周|上个?月", r"daily|yesterday|last week|last month")
# late orders asked about per customer, not order by order
_BY_CUSTOMER = _rx(r"哪(?:个|家|些|一家|一个)(?:客户|公司|厂家|客人)|按客户|(?:各|每)(?:个|家)?客户|客户.{0,4}(?:排名|排行|分布|统计)",
                   r"which (?:of (?:my |our |the )?)?(?:customers?|clients?|accounts?)|(?:by|per|for each|each) (?:customer|client|account)|"
                   r"(?:customers?|clients?) (?:with|having|that have|who have) the most|(?:worst|most delayed) (?:customers?|clients?)")
_LATE_LIST = _rx(r"(?:延误|延期|逾期|拖期|迟交|晚了)的?(?:订单|单子|单)|哪些.{0,6}(?:延误|延期|逾期|拖期|晚了|迟了|晚交|迟交|delay|late|overdue)|"
                 r"(?:订单|单子)(?:有)?哪些.{0,4}(?:延误|延期|逾期|晚)|(?:几|多少)(?:个)?(?:单|订单|单子).{0,3}(?:延误|延期|逾期|拖期|晚了)|"
                 r"(?:延误|延期|逾期|拖期)的?(?:订单|单子|单)?有(?:几|多少)|"
                 r"(?:延误|延期|逾期|拖期|晚了|迟了)了?(?:几|多少)(?:个)?(?:单|订单|单子)|"
                 # "我有没有订单延期了", "有没有单子会晚", "我的货是不是都能按时到": whether any is late
                 r"有没有.{0,4}(?:订单|单子|单|货).{0,4}(?:延误|延期|逾期|拖期|晚|迟|赶不上)|"
                 r"有没有(?:什么|哪个|哪些)?(?:会)?(?:延误|延期|逾期|拖期|晚了|晚交|迟交|晚)的|"  # "有没有延期的"
                 r"有(?:个|一个|几个|哪个|些)(?:订单|单子|单|货).{0,6}(?:延误|延期|逾期|拖期|晚|迟|赶不上)|"
                 r"(?:延误|延期|逾期|拖期|晚)(?:得|的)?(?:单子?|订单)?最多|"  # "哪个客户的单子延误最多"
                 r"(?:哪些|哪几个|有没有|几个)(?:订单|单子|单)?(?:没有?|未能?)(?:按时|准时|按期|如期)|"  # "我有个单子是不是晚了"
                 r"(?:订单|单子|货)(?:是不是|是否)?都(?:能|会|可以)?(?:按时|准时|按期|如期)|"
                 r"(?:这么多|那么多|很多|好多|一堆)(?:个)?(?:订单|单子|单|货)(?:都)?(?:会|要)?(?:延误|延期|逾期|拖期|晚|迟)",  # "为什么这么多订单延期"
                 r"(?:late|overdue|delayed|slipping) (?:orders|list)|(?:is|are) (?:everything|all (?:of )?(?:the |our )?(?:orders|jobs)) (?:running |getting |going )?(?:so )?(?:late|behind|delayed)|list of (?:late|overdue|delayed) |orders? (?:that are |which are )?(?:late|overdue|behind|delayed)|"
                 r"(?:is there |are there )?any delays? (?:in|on|with|for) (?:my |our |the |your )?orders|"
                 r"(?:late|overdue|delayed) (?:vip |rush |open |customer )orders|"
                 r"(?:单子?|订单|货)(?:最|比较)(?:危险|悬|急)|风险最大|最危险|"  # "谁的单子最危险": the late and the nearly late
                 r"any (?:late|delayed|overdue) ones|^(?:the |my |our |all )?(?:late|delayed|overdue) ones(?![a-z])|"
                 r"(?:which|what) (?:of )?(?:my |our |the |your )?(?:orders|jobs|ones) (?:are|were|will be) (?:running |still |now )?(?:late|overdue|behind)|"
                 r"(?:what|which|who)(?:'s| is| are) (?:running |still |now |currently )?(?:late|overdue|behind)|"
                 r"anything (?:of (?:mine|ours) )?(?:running |going to be |gonna be )?(?:late|overdue|behind|delayed|slipping)|"
                 r"any (?:of )?(?:my |our |the |your )?orders? (?:\w+ )?(?:late|overdue|behind|delayed|slipping)|"
                 r"(?:which|what|any) (?:of )?(?:my |our |the |your )?(?:orders|jobs|ones) .{0,20}(?:miss|make) (?:their|its|the) (?:due )?dates?|"
                 r"orders? (?:that|which) (?:will|would|are going to|are gonna|might|could) miss (?:their|its|the) (?:due |promised )?dates?|"
                 r"how many (?:orders |jobs )?(?:are |will be )?(?:running |still |now |currently )?(?:late|overdue|behind)|"
                 r"any (?:late|overdue) orders")
_REPORT = _rx(r"报工|报个工|报完工|完工上报|(?:报|上报|汇报)(?:一下)?(?:今天|今日|本班|这班|这个班)?的?(?:产量|数量)",
              r"report (?:my )?(?:progress|output|production|work)|report my|log (?:my )?(?:output|production|work)|"
              r"(?<![a-z])(?:report|log) \d")
_SEVERAL = _rx(r"哪些|哪几(?:个|张)?|有几|多少|这么多|那么多|都(?:延误|延期|逾期|晚)",
               r"(?<![a-z])(?:which|what) (?:orders|jobs|ones)|late orders|orders and|so many|this many|that many|"
               r"all (?:(?:my|our|the|these|those) )?(?:orders|jobs)|everything")  # "why are so many orders late"
_DONE = _rx(r"完成|做完|做好|做了|做到(?=\s*(?:\d|[一二两三四五六七八九十百千]))|完工|生产了|干了|加工了|(?:车|铣|磨|钻|焊|冲|压|装|喷|切|割|干|弄|搞|打|包|刨|镗|拉|折|剪)完", r"finished|(?<![a-z])done|completed|produced|made|built|machined|welded|painted|assembled|drilled|milled|"
            r"(?<![a-z])(?:finish|complete|make|produce)\s*了|"
            r"turned|ground|packed|processed|wrapped(?: up)?|"
            r"(?<![a-z])(?:did|ran|knocked out) \d+ ?(?:pcs|pieces|units|parts)? (?:on|of|for)(?![a-z])")  # "did 60 on 1042"
# a number right beside a verb of finished work, without a unit ("done 20", "20 more finished", "did 45 today")
_DONE_BARE = re.compile(r"(?<![a-z])(?:finished|done|completed|made|did|produced|ran|wrapped up|knocked out)\s+(?:another\s+|an?\s+other\s+)?"
                        r"\d+(?:\s+more)?(?=\s*(?:$|[,.!]|(?:today|now|so far|already|just now|on|of|for|this|in total)(?![a-z])))|"
                        r"(?<![\d.:/])\d+\s+(?:more\s+)?(?:finished|done|completed|made)(?![a-z])")
_NOT_DONE = re.compile(r"[不别甭]\s*(?:要|用)?\s*(?:做|生产|干|加工)")  # "不做了", "别做了": a cancellation
_DONE_OF = re.compile(r"(?:[车铣磨钻焊冲压装喷切割包刨镗拉折剪]|包装|喷涂|焊接|装配|组装|加工)好了")  # "包装好了"
_DONE_QUESTION = re.compile(r"[?？]|吗|没|了多少|多少|怎么回事|显示|(?<![a-z])(?:yet|when|how|shows?|showing|says)(?![a-z])|"
                            r"what'?s going on|what is going on|"
                            r"^(?:is|are|has|have|was|were|did|does|do|can|could|will)(?![a-z])(?! \d)")  # a question, not "did 60 on 1042"
_DOWN = _rx(r"停机|故障|坏了|(?:机器|设备|机台|机床).{0,6}(?:出问题|出毛病)|停多久|还要停|停到(?:几|什么时候|哪天)|停(?:到|至)(?:现在|目前)|一直停|异响|停下|卡了|卡死|冒烟|过热|急停|修不好|修不了|"
            r"(?:等|要等)(?:厂家|配件|备件|维修|师傅)|(?:没有?|断)(?:了)?(?:气压|气|电|水|油)了?|宕机|停线|停产|报警|抛锚|趴窝|卡住|卡料|不转|停了|坏掉|跳闸|停着|罢工|保养|维保|检修|大修|点检|"
            r"换模|换型|停电|(?:刀具?|钻头|砂轮|皮带|链条|模具|夹具|主轴|丝杠|轴承|焊枪|喷枪|电机|马达)(?:又)?(?:断|崩|坏|烧|裂|卡|掉)了?|断刀|崩刀|换刀|"
            r"停\s*(?:半天|一天|两天|[\d一二两三四五六七八九十半]+\s*(?:个)?(?:小时|钟头|天|分钟|h|hrs?|mins?)(?![a-z]))",
            r"breakdown|broke(?:n)?(?: down)?|(?<![a-z])down(?![a-z])|stopped|not working|out of order|failure|fault|"
            r"(?:lost|no|low) (?:air|power|pressure|coolant|oil)|(?<![a-z])alarm(?![a-z])|"
            r"conk(?:ed|s)? out|(?<![a-z])(?:died|dead)(?![a-z])|(?:gave|packed|acting) up|(?:went|gone|goes) down|"
            r"(?<![a-z])(?:maintenance|servicing|downtime|overhaul)(?![a-z])|under (?:pm|repair|service)(?![a-z])|"
            r"(?:needs?|due for|scheduled for|going in for|goes in for) (?:an? )?(?:[\w-]+ )?(?:hours? )?service(?![a-z])|"
            r"jammed|crashed|alarm|out of (?:service|commission|action)|offline|(?:isn'?t|is not|not) running|"
            r"(?<![a-z])stopping (?:it|her|the machine|now)|shut(?:ting)? (?:it |her )?down|making (?:an? )?(?:\w+ )?noises?|"
            r"noisy|overheat(?:s|ing|ed)?|smoking|leaking")
# a question about a machine's stop, not a report of one: "WLD-1什么时候修好", "CNC-2 停了吗", "is it still down?"
_MACHINE_ASKED = _rx(r"什么时候|啥时候|何时|几点|多久|多长时间|哪台|哪些|哪个|哪几台|几台|吗|[?？]|有没有|是不是|还在停|还没修好",
                     r"^(?:is|are|has|have|was|were|did|does|will|when)(?![a-z])|(?<![a-z])(?:when|which|how long|"
                     r"still (?:down|broken|stopped|off)|any (?:machines?|equipment))(?![a-z])")
_ON_MACHINE = _rx(r"我(?:今天|现在|这班)?(?:在|是|负责|管|开|用)", r"(?:i'?m|i am|working|i work|i'?ll be) (?:on|at)(?![a-z])")
_NOT_KNOWN = _rx(r"不知道|不清楚|不确定|说不准|没准|待定", r"not sure|(?:don'?t|do not) know|unknown|(?<![a-z])tbd(?![a-z])")
_WHICH_MACHINE = _rx(r"(?:哪台|哪些|哪个|哪几台|几台|有没有|有什么)(?:机器|设备|机台|机床)|(?:机器|设备|机台|机床)(?:有)?(?:哪些|哪台|几台)",
                     r"(?:which|what|any) (?:machines?|equipment)|machines? (?:are|is) (?:down|stopped|broken)")
_DOWN_STRONG = _rx(r"停机|故障|宕机|停线|(?:机器|设备|机台|机床)(?:又)?坏|坏了的?(?:机器|设备)|(?:机器|设备|机台|机床).{0,6}(?:出问题|出毛病)",
                   r"breakdown|broke down|machine (?:\S+ )?(?:is )?(?:down|broken|broke|stopped)|machine failure|out of order|"
                   r"out of (?:service|commission)")
_UP = _rx(r"修好|恢复|开机|重新运行|重新开|能用了|好了|复工|又能|正常了|继续生产|可以生产|可以开工|开工了|"
          r"(?:跑|转|动|开)起来了|(?<![a-z])ok\s*了|可以用了|搞定了|"
          r"(?:保养|维修|检修|大修|点检|换模具?|修)(?:完|好)",
          r"running again|back up|back online|up again|fixed|repaired|working again|(?<![a-z])is up|restarted|runs again|"
          r"(?:(?<![a-z])(?:is|it'?s|its)|'s) back(?![a-z])|(?<![a-z])back (?:yet|now|already)(?![a-z])|"
          r"(?:ready|good) to go|all set|back to normal|"
          r"back in (?:action|business|service)|up and running|"
          r"(?:ok|okay|fine|works|working|running) now")
# what a machine runs next: "CNC-2 接下来做什么", "what's next on CNC-2"; without a machine named
# only in words that cannot mean anything else ("我这台机器今天要做哪些单", "what should I run next")
_QUEUE = _rx(r"接下来|下一个|下个活|下一单|(?:还有|还剩|剩)(?:几个|多少|哪些)(?:活|单|任务|工单)|排程|排产计划|排产情况|排了|排的|排着|排到|派工|任务单|工单|今天要做|今天做哪些|要做哪些|做哪些单|待加工|队列|"
             r"要(?:干|做|加工)(?:哪些|什么|啥)(?:活|单)|(?:干|做)哪些活|"
             r"(?:等会儿?|待会儿?|一会儿?|等下|回头)(?:要|该|得)?(?:干|做|加工)(?:啥|什么|哪些)",
             r"what'?s next|what is next|(?<![a-z])what next|next (?:job|jobs|order|orders|up|operation)|queue|jobs? (?:today|for today|on)|"
             r"(?:what'?s|what is|anything) pending (?:on|at|for)(?![a-z])|"
             r"(?:this week|next week|today|tomorrow)'?s? (?:jobs|work|orders|schedule)|"
             r"(?<![a-z])schedule(?![a-z])|"  # with a machine named: "LATHE-3 今天 schedule"
             r"(?:today'?s|my) (?:jobs|work|work list)|work list|dispatch list|run next|make next|do next|"
             # "what do I run after this on WELD-2", "who is waiting on CNC-2"
             r"(?:run|make|do|doing|running|load) (?:after|once) (?:this|that)|what'?s after (?:this|that)|"
             r"(?<![a-z])(?:waiting|queued|queuing|queueing) (?:on|for|at)(?![a-z])|"
             r"(?<![a-z])next\s*(?:要|该|是)?(?:做|干|加工|跑|排)|"
             # with a machine named: "what's on CNC-2 tomorrow", "what is CNC-2 doing today"
             r"^what(?:'s| is| will be| are we running) (?:on|running on|scheduled? (?:on|for)|planned? (?:on|for)|lined up (?:on|for))|"
             r"(?<![a-z])lined up(?![a-z])|"  # "what's LATHE-3 got lined up"
             r"^what(?:'s| is| will)? ?(?:\S+ ){0,2}(?:be )?(?:doing|making|running|working on)(?![a-z])")
_QUEUE_STRONG = _rx(r"(?:机器|设备|机台|机床)(?:今天|接下来)?(?:要做|做哪些|做什么)|派工|待加工|"
                    r"(?:我|我的)(?:今天|今日)?的?(?:活儿?|任务|工单)|(?:今天|今日)我的(?:活儿?|任务|工单)|我这台|我的(?:机器|设备|机台|机床)|"
                    r"^(?:接下来|下一个|下一步)(?:做|干|加工)?(?:什么|啥|哪个)(?:活|单)?[?？]?$|"
                    # the one asking makes it: "我今天要做哪些单", "今天该干什么活" (what is due is "交" / "出货")
                    r"我(?:今天|今日|明天|现在)(?:要|该|得|需要)?(?:做|干|加工|生产)(?:哪些|哪几个|什么|啥)(?:单|活|订单|工单)?|"
                    r"^(?:今天|今日|明天|现在)(?:要|该|得)(?:做|干|加工)(?:哪些|什么|啥)(?:单|活|订单|工单)?[?？]?$",
                    r"what (?:should|do|shall) i (?:run|make|do|work on) next|my (?:jobs|work list|tasks)|dispatch list|"
                    r"what (?:should|do|shall|am) i (?:run|make|do|work on|running|making|doing|working on) (?:today|now)|"
                    r"(?:next|queue) (?:on|for) my (?:machine|station)|my (?:machine|station)'?s? (?:queue|next)|"
                    r"^(?:what'?s|what is) next[?？]?$|^next (?:job|jobs)[?？]?$")
_UP_LATER = _rx(r"(?:预计|估计|大概|可能|要到|得到|才能|还要|需要|明天|下午|上午|晚上).{0,8}(?:修好|恢复|好)(?!了)",
                r"(?:will|should|expected to|going to|won'?t) be (?:fixed|back|up|running|repaired)|"
                r"(?:fixed|back|up|repaired) (?:by|at|around|after|tomorrow|tonight|this afternoon)")
_UP_STRONG = _rx(r"修好|恢复运行|恢复生产|重新运行|开机了|正常了",
                 r"running again|back online|(?:machine|it) is fixed|repaired|working again|runs again")

# small talk: a message that is only a greeting or only thanks
_GREETING = re.compile(r"(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening|day)|dear (?:sirs?|madam|sir ?/ ?madam|all|team|colleagues)|你好|您好|你们好|大家好|在吗|在不在|哈喽|嗨|"
                       r"早上好|早安|早|下午好|晚上好)(?: there| team| all| everyone| guys| folks| sir| madam| ma'?am| boss|啊|呀|呢|各位|大家)?[\s!！.。,，~～?？]*")
_INTRO = re.compile(r"(?:我是|我们是|这里是|this is|it'?s|i'?m|i am|here is|here'?s)\s*[^?？]{1,40}?[\s!！.。~～]*")
_THANKS = re.compile(r"(?:(?:ok|okay|好的|好嘞|好|行|嗯+|收到|明白了?|got it|great|perfect|nice|good job|well done|太好了|很好|(?:well )?noted)"
                     r"[\s,，!！.。]*(?:with )?){0,3}"  # "好的好的谢谢", "ok ok thanks"
                     # praise before the thanks: "货到了，质量很好，谢谢", "arrived in good shape, thanks"
                     r"(?:[^?？\d]{0,24}?(?:很好|不错|满意|很棒|挺好|好评|good|great|perfect|excellent|nice|fine)[\s,，!！.。]*)?"
                     r"(?:(?:that'?s|that is) (?:all|everything)(?: (?:i|we) (?:needed|need|wanted))?[\s,，!！.。]*)?"
                     r"(?:(?:(?:many |big |huge )?(?:thanks?|thank (?:you|u)|thanku|thanx|thnx|thx|tq|ty)(?: (?:a lot|so much|very much|a ton))?|cheers|"
                     r"(?:please )?(?:pass|send|give) (?:on )?my thanks(?: to [a-z ]{1,20})?|"
                     r"谢谢(?:你们|您们|你|您|大家|啦|了)?|多谢|感谢(?:你们|您们|你|您|大家)?|谢了|谢啦|谢哈|谢咯|辛苦了|辛苦)"
                     r"(?:(?:的|对)?(?:帮助|帮忙|支持|配合|耐心|解答)|"
                     r" for (?:the |your |all (?:the |your )?)?(?:(?:prompt|quick|kind|great|fast|continued) )?(?:help|support|update|info|answer|reply|response|assistance)s?)?"
                     r"了?(?:哈+|啊|呀|哦|喔|嘞|哟|啦|了|咯)?[\s!！.。,，~～]*)+"
                     r"(?:(?:that'?s|that is) all(?: for (?:now|today))?|nothing else|没事了|没别的了|就这些|就这样)?[\s!！.。,，]*"
                     r"(?:bye|再见|拜拜)?[\s!！.。]*")

# scrapped units in a report: "报废20件", "20件报废", "不良 5", "scrap 20", "5 pcs rejected"
_SCRAP_NUM = r"(\d{1,7}|[零一二两三四五六七八九十百千]{1,6})"
_SCRAP_UNIT = r"\s*(?:件|个|只|套|台|支|pcs|pieces|units|parts)?"
_SCRAP_ZH = r"报废|废品|废掉|废了|不良品?|次品|不合格品?"
_SCRAP_EN = r"scrap(?:ped)?|rejects?|rejected|(?<![a-z])ng|defective|bad ones"
_NUM_NEXT = r"(?!\s*[:：]?\s*(?:了|是)?\s*[\d零一二两三四五六七八九十])"  # the word counts the number after it
_SCRAP = re.compile(rf"(?:{_SCRAP_ZH})\s*(?:了|是)?\s*{_SCRAP_NUM}{_SCRAP_UNIT}|"
                    rf"(?<![\d.\-#/a-z]){_SCRAP_NUM}(?:\s*(?:件|个|只|套|台|支|pcs)\s*)?(?:是|为)?(?:{_SCRAP_ZH}){_NUM_NEXT}|"
                    rf"(?<![a-z])(?:{_SCRAP_EN})\s*[:：]?\s*{_SCRAP_NUM}(?![\d.])|"
                    rf"(?<![\d.\-#/a-z]){_SCRAP_NUM}{_SCRAP_UNIT}\s*(?:were |are |got )?(?:{_SCRAP_EN})(?![a-z]){_NUM_NEXT}")
# words that make scrap a production report, not a customer's complaint about defects
_SCRAP_MADE = _rx(r"报废|废品|废掉|废了|(?<!不)合格|(?<!不)良品|(?<![a-z])(?:scrap(?:ped)?|good|ok)(?![a-z])")
# "其中5件报废", "of which 5 scrapped": the scrap is part of the number made
_OF_WHICH = _rx(r"其中|里面|里头|当中|(?<![a-z])(?:of which|of them|including|incl\.?)(?![a-z])")

# a routing step named in a report: "第3道", "第三道工序", "工序2", "step 2", "op 3"
_STEP = re.compile(r"第\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:道|步|个)?\s*(?:工序|工步)?|"
                   r"(?:工序|工步)\s*(\d{1,2})|(?<![a-z])(?:step|op|operation)\s*#?\s*(\d{1,2})(?![\d])")

# how long a machine stop lasts: "2小时", "半小时", "一个半小时", "45分钟", "1.5h", "for 2 hours", "30 min"
_CN_SMALL = r"[一二两三四五六七八九十]{1,3}"
_HOURS = re.compile(r"(?:(\d{1,3}(?:\.\d)?|" + _CN_SMALL + r")\s*(?:个)?\s*(半)?|(半))\s*(?:个)?\s*"
                    r"(?:小时|钟头|(?<![a-z])(?:h|hrs?|hours?)(?![a-z]))")
_MINUTES = re.compile(r"(\d{1,4}|" + _CN_SMALL + r")\s*(?:分钟|分(?!之)|(?<![a-z])(?:mins?|minutes?|m)(?![a-z]))")
_UNTIL = re.compile(r"(?:到|至|until|till|(?<![a-z])to|(?:back|fixed|repaired|running|ready) (?:at|by|around)|预计|估计|大概)\s*(上午|早上|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[:：](\d{2})|点(?:(\d{1,2})分?|半)?|时)?"
                    r"\s*(am|pm)?(?![\d])")


def _small_number(raw: str) -> float | None:
    if raw[0].isdigit():
        return float(raw)
    value = cn_to_int(raw)
    return float(value) if value is not None else None


class StopLength(NamedTuple):
    """When a stopped machine runs again, as the operator said it (all None: not said)."""

    minutes: int | None = None  # "停机2小时", "for 45 min"
    at: time | None = None  # "到下午3点", "until 15:30", "back at 14:00"
    day: date | None = None  # "停机到12月5日", "down until Monday": back that day
    starts: date | None = None  # "明天上午保养", "maintenance on Monday", "今天下午保养": the day a stop is said to start


_UNTIL_DAY = re.compile(r"(?:到|至|until|till|through|back on|back)\s*$")
# a day said in words ("明天", "周四", "12月5日", "Monday", "Dec 5"), not a bare number ("1.5h", "3号线")
_DAY_WORD = re.compile(r"月|今|明|后天|周|星期|礼拜|[a-z]{3,}")
# words that make a later day the day it runs again, not the day it stops ("明天修好", "fixed by
# Monday"; 检修 / 维修 / 保养 are the stop itself), or say that it is broken now ("坏了，周二修")
_BACK_WORDS = _rx(r"(?<![检维保])修|恢复|好了|能用|开机|复工|坏了|坏掉|故障|报警|跳闸|卡住|不转|漏",
                  r"(?<![a-z])(?:back|fix|repair|running|up(?![a-z])|broke|jam|alarm|leak|fault|fail)")


def stop_length(text: str, today: date | None = None) -> StopLength:
    """How long a machine stop lasts, from the operator's words: a length, a clock time or
    (with ``today``) a day introduced by "到" / "until"; "3号线漏油" names no day. A day (today
    or later) named otherwise, with no word of repair, is the day the stop starts (``starts``)."""
    t = _clean(text) if isinstance(text, str) else ""
    starts = None
    if today is not None and not _BACK_WORDS.search(t):
        starts = next((day for start, end, day in find_dates(t, today)
                       if day >= today and not _UNTIL_DAY.search(t[:start]) and _DAY_WORD.search(t[start:end])), None)
    return _stop_length(t, today)._replace(starts=starts)


def _stop_length(t: str, today: date | None) -> StopLength:
    m = _UNTIL.search(t)
    if m and (m[3] or "点" in m[0] or "时" in m[0] or m[5] or m[1]):  # "to 3" alone is not a time
        hour, minute = int(m[2]), int(m[3] or m[4] or (30 if m[0].rstrip().endswith("半") else 0))
        if (m[1] in ("下午", "晚上") or m[5] == "pm") and hour < 12:
            hour += 12
        if m[5] == "am" and hour == 12:
            hour = 0
        if hour <= 23 and minute <= 59:
            return StopLength(at=time(hour, minute))
    if today is not None:
        for start, _end, day in find_dates(t, today):
            if _UNTIL_DAY.search(t[:start]):
                return StopLength(day=day)
    minutes = 0.0
    h = _HOURS.search(t)
    if h:
        whole = _small_number(h[1]) if h[1] else 0.0
        minutes += 60 * ((whole or 0.0) + (0.5 if (h[2] or h[3]) else 0.0))
        t = _mask(t, h.start(), h.end())
    mm = _MINUTES.search(t)
    if mm:
        minutes += _small_number(mm[1]) or 0.0
    total = round(minutes)
    return StopLength(minutes=total if 0 < total <= 60 * 24 * 90 else None)


_SLASH = re.compile(r"^/([a-z_]+)(?:@\w+)?(?:\s+(.*))?$")
_SLASH_INTENTS: dict[str, IntentName] = {
    "status": "order_status", "where": "order_status", "track": "order_status", "orders": "list_orders",
    "list": "list_orders", "promise": "promise", "ctp": "promise", "rush": "rush", "cancel": "cancel",
    "complain": "complaint", "complaint": "complaint", "human": "human", "contact": "human",
    "help": "help", "start": "help", "language": "language", "lang": "language",
}  # fmt: skip

# --- slots -----------------------------------------------------------------------------------

_REF = re.compile(
    # "order" after "to" / "we" / "I" is the verb ("I'd like to order 300 more"), not an order's number
    r"(?:(?<![a-z])so|(?<![a-z])s\.o\.|(?<![a-z])(?<!to )(?<!we )(?<!\bi )order\s*(?:no\.?|number|num|nr|#|ref)?|订单号?|订单编号|单号|编号|(?<![a-z])no\.|#)"
    r"\s*[-#:：.]?\s*(?:是|为)?\s*(\d{1,9})((?:-\d{1,9}){1,2}(?![\d-]))?(?![\d]|,\d{3})"
)
_REF_BEFORE = re.compile(r"(?<![\d.])(\d{1,9})\s*号\s*(?:订单|单子|单)|"
                         r"(?<![\d.])(\d{3,9})\s*(?:那|这)(?:个|一)?(?:单|订单)")  # "1201 那单"
_UNIT = r"(?:件(?!数)|个(?!数|(?:急|新|加急|紧急)?(?:单|订单))|套|台|只(?!要|需|是|有|能)|支|片|条|pcs|pc|pieces|piece|units|unit|sets|ea|nos)(?![a-z])"
_UNIT_AFTER = re.compile(r"^\s*" + _UNIT)
_MULT_AFTER = re.compile(r"^\s*(?:k|千|万|w)(?![a-z])")
_STRONG_REF_PREFIX = re.compile(r"so|s\.o\.|订单|单号|编号|#|no\.")
_QTY_CONTEXT = re.compile(
    r"(?:数量|件数|量|qty|quantity|amount|改成|改为|改到|加到|减到|增加到|减少到|增至|减至|变成|换成|调到|to|for|make it|need|needs|"
    r"want|wants|要|做|be|->|=>)\s*[:：=]?\s*$"
)
_OLD_VALUE = re.compile(r"(?:instead of|from|rather than|not|原来|原先|原本|从|而不是|不是)\s*$")
_NOT_QTY_AFTER = re.compile(
    r"\s*(?:点|:|h(?![a-z])|小时|hours?|hrs?|mins?|分钟|天|days?|周|weeks?|个月|months?|%|号|年|月|次|遍|层|楼|元|块|rmb|usd|yuan|\$|(?:st|nd|rd|th)(?![a-z]))"
)
# "300 widgets", "500 gears": a number before a plural noun counts it (a product), but not before a
# verb or a word of the chat ("1050 needs", "1042 thanks") nor a time ("3 days", caught earlier)
_PLURAL_NOT_THING = frozenset((
    "is", "was", "has", "does", "goes", "needs", "ships", "arrives", "leaves", "comes", "gets", "looks",
    "seems", "remains", "starts", "ends", "finishes", "takes", "runs", "stays", "moves", "says", "means",
    "thanks", "thx", "pls", "plus", "yes", "this", "its", "us", "as", "whats", "hows", "wheres", "lets",
    "always", "perhaps", "sometimes", "besides", "afterwards", "towards", "regards", "plans", "status",
))
_PLURAL_AFTER = re.compile(r"^\s+([a-z][a-z\-]{1,24}s)(?![a-z])")


def _plural_after(after: str) -> str | None:
    """The plural noun right after a number ("300 widgets" -> "widgets"), if it names things."""
    m = _PLURAL_AFTER.match(after)
    if m is None or m[1] in _PLURAL_NOT_THING or m[1].endswith(("ss", "us", "is")):
        return None
    return m[1]


_OF_PRODUCT = re.compile(r"(?<![a-z])of\s+(?:the\s+)?(?!(?:to|for|by|before|until|on|at|in)\b)([a-z0-9][a-z0-9\-_ ]{0,30}?)(?=\s+(?:for|by|to|before|until|till|on|at|due|from|in|asap|please|pls)\b|[,.?!;:，。？！]|$)")
_CN_PRODUCT = re.compile(r"产品\s*[:：]?\s*(?:是|为)?\s*([a-z0-9\-_]+|[\u4e00-\u9fff]{1,6}?)(?=[\s,，。.?？!！0-9\-]|的|要|$)")
_CN_QTY_PRODUCT = re.compile(r"\d\s*" + _UNIT + r"\s*([a-z][a-z0-9\-_]{0,20}|[\u4e00-\u9fff]{2,5}?)(?=[\s,，。.?？!！]|最快|最早|要|能|的|下|什么|几|多久|$)")
_PROMISE_PRODUCT = re.compile(r"^/?(?:promise|ctp)\s+([a-z\u4e00-\u9fff][\w\- ]{0,30}?)\s+\d")
_RAW_STOP = re.compile(r"^(?:the|a|an|it|them|those|these|this|that|your|our|my|more|stock|pcs|units|pieces|orders?|"
                       r"(?:so|order|#)?[\s\-#]*\d+)$")


_UNSAID_INTENTS = frozenset(("expedite", "change_date", "change_quantity", "material"))
"""Requests that, in Chinese and without an order, are about an order left unsaid (the chat's last
one): "SO-1349 为什么延期" then "能提前吗", "改成80件", "延到月底". English says "it"; a cancellation
must name its order or say "it"."""
_UNSAID = re.compile(r"^[^a-z]*[\u4e00-\u9fff][^a-z]*$")  # Chinese, no Latin words: an order may go unsaid
_ORDER_WORD = re.compile(r"订单|单子|(?<![a-z])(?:orders?|delivery|shipment)(?![a-z])")
_CUSTOMER_ORDERS = re.compile(r"订单|单子|的单|的货|那边|(?<![a-z])(?:orders?|open|backlog|jobs)(?![a-z])")


_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def written_language(text: str) -> Literal["en", "zh_Hans"] | None:
    """The language a message is plainly written in, or None when it does not say: Chinese with
    at most one English word per two Chinese characters beside it ("SO-1042 到哪了", "ACME的订单",
    "1042 status 怎么样"); English in three words or more and no Chinese ("where is my order").
    Names in capitals and order numbers count for neither ("SO-1042", "ok", "ACME CNC-1")."""
    cjk = len(_CJK_CHAR.findall(text))
    words = [w for w in _LATIN_WORD.findall(_MARKUP.sub(" ", text)) if len(w) > 1 and not w.isupper()]
    if cjk >= 2 and len(words) * 2 <= cjk:
        return "zh_Hans"
    if cjk == 0 and len(words) >= 3:
        return "en"
    return None


def _norm_key(text: str) -> str:
    return re.sub(r"[\s\-_.·]+", "", text.casefold())


Hit = tuple[str, int, int]  # a known name found in a text: the name, where it starts and ends


def _names_key(names: Collection[str]) -> tuple[str, ...]:
    """Known names as the hashable key of the cached pattern tables."""
    return tuple(sorted({n for n in names if isinstance(n, str) and n.strip()}))


def _first_match(patterns: Iterable[tuple[str, re.Pattern[str]]], text: str) -> Hit | None:
    """The name of the first pattern found in ``text``, with where it was found."""
    for name, pattern in patterns:
        m = pattern.search(text)
        if m:
            return name, m.start(), m.end()
    return None


@lru_cache(maxsize=256)
def _known_patterns(names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One loose pattern per known name: case-insensitive, any spacing/hyphens, plural s."""
    out = []
    for name in names:
        folded = fold(name)
        parts = [re.escape(p) for p in re.split(r"[\s\-_.·]+", folded) if p]
        if not parts:
            continue
        body = r"[\s\-_.·]*".join(parts)
        ascii_start = parts[0][0].isascii() and parts[0][0].isalnum()
        ascii_end = folded[-1:].isascii() and folded[-1:].isalnum()
        pre = r"(?<![a-z0-9])" if ascii_start else ""
        post = r"(?:e?s)?(?![a-z0-9])" if ascii_end else ""
        out.append((name, re.compile(pre + body + post)))
    # Longest names first so that "Gear Housing XL" wins over "Gear Housing".
    out.sort(key=lambda item: -len(item[0]))
    return tuple(out)


@lru_cache(maxsize=256)
def _fuzzy_names(names: tuple[str, ...]) -> tuple[tuple[str, str, int], ...]:
    """Latin names of >= 4 letters, for fuzzy matching: (name, key, words)."""
    out = []
    for name in names:
        key = _norm_key(name)
        if len(key) >= 4 and key.isascii():
            out.append((name, key, len(name.split())))
    return tuple(out)


# What a company's name says about its legal form or trade rather than which company it is:
# never enough, on its own, to tell one customer from another.
_LEGAL_WORDS = frozenset((
    "co", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "gmbh", "ag", "sa", "bv", "plc",
    "company", "group", "holding", "holdings", "industries", "industry", "industrial", "international", "intl",
    "the", "and", "&", "of", "manufacturing", "mfg", "trading", "technology", "technologies", "tech",
))
_CN_LEGAL_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|股份公司|公司|集团|总厂|工厂|厂)+$")
_CN_TRADE_WORDS = frozenset((
    "机械", "科技", "制造", "工业", "实业", "贸易", "电子", "电器", "电气", "精密", "五金", "汽车", "配件", "设备",
    "技术", "材料", "模具", "塑料", "塑胶", "金属", "机电", "自动化", "智能", "国际", "控股", "工程", "能源", "环保",
    "包装", "化工", "建材", "家具", "有限", "股份", "集团", "公司", "中国",
))
_CN_TRADE = re.compile("|".join(sorted(_CN_TRADE_WORDS, key=len, reverse=True)))


@lru_cache(maxsize=256)
def _short_names(names: tuple[str, ...]) -> _ShortNames:
    """Short forms people use for a company, each belonging to exactly one known name:
    "ACME" for "ACME Tools", "Pearl River" for "Pearl River Boats", "精工" or "宁波精工" for
    "宁波精工机械有限公司". Latin: the name's leading words without its legal form (a word
    of at least 4 letters that is not one of the chat's own keywords); Chinese: any part of
    the name without its legal form holding at least two characters outside its trade words
    (机械, 科技 ...), or the whole of it.
    A short form two names share names neither. Longest first."""
    owners: dict[str, set[str]] = {}
    for name in names:
        folded = fold(name)
        forms: set[str] = set()
        words = [w for w in re.split(r"[\s\-_.,·]+", folded) if w]
        if words and all(w.isascii() for w in words):
            core = list(words)
            while core and core[-1] in _LEGAL_WORDS:
                core.pop()
            while core and core[0] == "the":
                core.pop(0)
            for n in range(1, len(core) + 1):
                lead = core[:n]
                if lead == words or lead[0] in _LEGAL_WORDS:
                    continue
                if n == 1 and (len(lead[0]) < 4 or not lead[0].isalpha() or lead[0] in _VOCAB_SET or lead[0] in _KEEP):
                    continue
                forms.add(" ".join(lead))
        else:
            core_cn = _CN_LEGAL_SUFFIX.sub("", re.sub(r"[\s\-_.,·()（）]+", "", folded))
            if re.fullmatch(r"[\u4e00-\u9fff]+", core_cn or "-"):
                trade = [False] * len(core_cn)  # characters that belong to a trade word
                for m in _CN_TRADE.finditer(core_cn):
                    trade[m.start():m.end()] = [True] * (m.end() - m.start())
                for i in range(len(core_cn)):
                    for j in range(i + 2, len(core_cn) + 1):
                        own = j - i - sum(trade[i:j])
                        if core_cn[i:j] != folded and (own >= 2 or (own >= 1 and j - i == len(core_cn))):
                            forms.add(core_cn[i:j])
        for form in forms:
            owners.setdefault(form, set()).add(name)
    latin: list[tuple[str, str, re.Pattern[str]]] = []
    cjk: dict[str, str] = {}
    for form, who in owners.items():
        if len(who) != 1:
            continue
        if form.isascii():
            body = r"[\s\-_.·]*".join(re.escape(w) for w in form.split())
            latin.append((next(iter(who)), form, re.compile(r"(?<![a-z0-9])" + body + r"(?:'?s)?(?![a-z0-9])")))
        else:
            cjk[form] = next(iter(who))
    latin.sort(key=lambda item: -len(item[1]))
    return _ShortNames(tuple((name, pattern) for name, _, pattern in latin), cjk, max(map(len, cjk), default=0))


@dataclass(frozen=True, slots=True)
class _ShortNames:
    latin: tuple[tuple[str, re.Pattern[str]], ...]  # longest first
    cjk: dict[str, str]  # a part of a Chinese name -> the name
    longest: int

    def find(self, text: str) -> Hit | None:
        hit = _first_match(self.latin, text)
        if hit or not self.cjk:
            return hit
        runs = list(_CJK_RUN.finditer(text))
        for size in range(self.longest, 1, -1):  # the longest part named wins
            for run in runs:
                for i in range(run.start(), run.end() - size + 1):
                    owner = self.cjk.get(text[i:i + size])
                    if owner is not None:
                        return owner, i, i + size
        return None


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


# What Chinese shop floors call a kind of machine, and the English words its code name may
# abbreviate: "冲床1号" / "1号冲床" is PRESS-1, "2号焊机" is WLD-2 or WELD-2 (only machine nouns:
# "焊接2件" is a quantity, not a machine).
_MACHINE_KINDS_ZH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("冲床|冲压机|压力机|冲压线", ("press", "punch", "stamp")),
    ("电焊机|焊接机|焊机|焊接工位|焊接线|焊台", ("weld",)),
    ("数控车床|车床", ("lathe", "turn")),
    ("加工中心|数控机床|数控", ("cnc", "vmc", "hmc")),
    ("铣床", ("mill",)),
    ("磨床", ("grind",)),
    ("钻床", ("drill",)),
    ("折弯机", ("bend", "brake")),
    ("喷涂线|喷漆房|喷涂机|喷涂工位", ("paint", "spray", "coat")),
    ("装配线|装配台|装配工位", ("assembly", "assy")),
    ("激光切割机|激光机", ("laser",)),
    ("切割机|下料机|锯床", ("cut", "saw")),
    ("注塑机", ("injection", "mold", "mould", "imm")),
    ("包装机|包装线|包装台", ("pack",)),
    ("热处理炉|淬火炉|炉子", ("heat", "furnace", "oven")),
    ("检验台|检测台|质检台", ("qc", "inspect", "qa")),
)
_CN_DIGIT_CHARS = "零一二三四五六七八九"


def _cn_numeral(n: int) -> str:
    """1..99 as a Chinese numeral: 1 一, 10 十, 12 十二, 20 二十, 35 三十五."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGIT_CHARS[tens] + "十")
    return head + (_CN_DIGIT_CHARS[ones] if ones else "") if n else "零"


def _abbreviates(prefix: str, word: str) -> bool:
    """``prefix`` is ``word`` shortened: its start ("lath") or its letters in order from the
    first one ("wld" for weld, "pnt" for paint, "ht" for heat)."""
    if word.startswith(prefix) or prefix.startswith(word):
        return True
    if prefix[0] != word[0]:
        return False
    rest = iter(word[1:])
    return all(ch in rest for ch in prefix[1:])


@lru_cache(maxsize=64)
def _machine_words(names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """For a machine named letters + number (WELD-2, CNC 1, LATHE3): the words people use
    instead, "welding machine 2", "lathe no. 3", "cnc #1": a word beginning with the letters
    (at least 3), "machine", "no.", "number" or "#", then the number ("welding 2 pcs" is not
    a machine); and in Chinese the kind of machine with its number, "冲床1号", "1号冲床",
    "焊机二号", "2#焊机", when the code's letters abbreviate that kind (PRESS, WLD, PNT) or the
    name is that kind in Chinese with its number (车床-1: "1号车床", "车床一号")."""
    out = []
    for name in names:
        folded = fold(name)
        m = re.fullmatch(r"([a-z]{2,})[\s\-_]*(\d+)", folded)
        if m:
            letters, number = m[1], int(m[2])
            if len(letters) >= 3:
                out.append((name, re.compile(rf"(?<![a-z]){letters}[a-z]*\s*(?:machine|no\.?|number|#)\s*0*{number}(?!\d)")))
            kinds = "|".join(zh for zh, words in _MACHINE_KINDS_ZH if any(_abbreviates(letters, w) for w in words))
        elif m := re.fullmatch(r"([\u4e00-\u9fff]{2,8})[\s\-_#]*(\d+)", folded):
            kinds, number = re.escape(m[1]), int(m[2])
        else:
            continue
        if kinds and 0 < number < 100:
            num = rf"(?:0*{number}(?!\d)|(?<![一二三四五六七八九十]){_cn_numeral(number)}(?![一二三四五六七八九十百千万]))"
            mark = r"(?:号|#|号机|号线)"
            out.append((name, re.compile(
                rf"(?:{kinds})\s*(?:#|no\.?)?\s*{num}\s*(?:{mark}|(?![件个套只台批张条片块吨米]))|{num}\s*{mark}\s*(?:{kinds})"
            )))
    return tuple(out)


def _match_machine(text: str, machines: Collection[str]) -> Hit | None:
    """A machine named in ``text``: by its name (loosely, or fuzzily), else in words."""
    if not machines:
        return None
    key = _names_key(machines)
    return _match_key(text, key) or _first_match(_machine_words(key), text)


def _match_customer(text: str, customers: Collection[str]) -> Hit | None:
    """A customer named in ``text``: in full (loosely, or fuzzily), else by a short form."""
    if not customers:
        return None
    key = _names_key(customers)
    return _match_key(text, key) or _short_names(key).find(text)


def match_customer(text: str, customers: Collection[str]) -> str | None:
    """The known customer ``text`` names (in full or by a short form), or None."""
    if not isinstance(text, str):
        return None
    hit = _match_customer(_clean(text), customers)
    return hit[0] if hit else None


def _match_known(text: str, names: Collection[str]) -> Hit | None:
    """A known name in ``text``: exact (loose) first, then fuzzy on Latin word windows."""
    return _match_key(text, _names_key(names)) if names else None


def _said_in_plural(said: str, name: str) -> bool:
    """Whether a name was said in the English plural ("brackets" for "Bracket A", "Widgets")."""
    return said.isascii() and said[-1:] == "s" and not fold(name).endswith("s")


def _match_short_product(text: str, products: Collection[str]) -> Hit | None:
    """A product by the leading words of its name, when no other product's name starts so:
    "250 brackets" for "Bracket A", "the gear order" for "Gear Housing" (Latin names; as a
    company goes by the first words of its name)."""
    return _first_match(_short_names(_names_key(products)).latin, text) if products else None


def _match_key(text: str, key: tuple[str, ...]) -> Hit | None:
    """:func:`_match_known` on names already made a key."""
    hit = _first_match(_known_patterns(key), text)
    if hit:
        return hit
    fuzzy = _fuzzy_names(key)
    if not fuzzy:
        return None
    words = list(re.finditer(r"[a-z0-9][a-z0-9\-]*", text))
    best: tuple[float, str, int, int] | None = None
    for name, plain, size in fuzzy:
        for i in range(len(words) - size + 1):
            window = words[i : i + size]
            cand = _norm_key(text[window[0].start() : window[-1].end()])
            if cand.endswith("s") and not plain.endswith("s") and len(cand) > len(plain):
                cand = cand[:-1]
            if abs(len(cand) - len(plain)) > 2 or cand[0] != plain[0]:
                continue
            if size > 1 and [w[0][0] for w in window] != [w[0] for w in fold(name).split()]:
                continue  # each word starts as the name's does: "back yet" is not "Bracket A"
            score = fuzz.ratio(cand, plain)
            if score >= 80 and (best is None or score > best[0]):
                best = (score, name, window[0].start(), window[-1].end())
    if best:
        return best[1], best[2], best[3]
    return None


# --- due-date windows and relative date changes ----------------------------------------------

_DUE = _rx(r"要交(?!期)|该交|需交|待交|到期|(?:能|可以)(?:交|出货|发货|出|发)的|要出(?:货|的|$|[?？吗呢])|要发(?:货|的|$|[?？吗呢])|交货的|交付的|出货的|发货的",
           r"(?<![a-z])(?:due|ships|shipping|deliver(?:y|ies)|going out)(?![a-z])|(?:to|will|should|must) (?:ship|deliver|go out)(?![a-z])|"
           r"(?:orders|ones|jobs) (?:that )?ship(?![a-z])|"
           r"to be (?:shipped|delivered)")
_PERIOD = re.compile(r"今天|今日|明天|明日|后天|(?:(?:本|这|下)周|(?:这|下)个?(?:星期|礼拜))(?![一二三四五六日天1-7])|本月|这个?月|下个?月|"
                     r"(?<![a-z])(?:today|tomorrow|this week|next week|this month|next month|"
                     r"(?:the )?end of (?:the |this )?(?:week|month))(?![a-z])")


def _arrival_by(intent: IntentName, text: str, today: date) -> date | None:
    """"我这周的货能到吗", "will it be here next week": the period's last day, for a status question."""
    if intent != "order_status" or not _ARRIVE.search(text):
        return None
    m = _PERIOD.search(text)
    return period_end(m[0], today) if m else None


def _due_window(text: str, today: date) -> tuple[date | None, tuple[int, int] | None]:
    """"今天有哪些单子要交" / "what's due this week": the last day of the window and the span
    naming a period (to mask), when a due word is present; a plain date is left to the caller."""
    if not _DUE.search(text):
        return None, None
    m = _PERIOD.search(text)
    if m is None:
        return None, None
    return period_end(m[0], today), (m.start(), m.end())


_SHIFT_AMOUNT = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:个)?\s*(天|日|周|星期|礼拜)"
_SHIFT_ZH = re.compile(r"(推迟|延后|往后(?:推|挪|移|调|延)?|推后|顺延|后移|挪后|提前|往前(?:挪|移|提|调|赶)?|前移|挪前)"
                       r"(?:交货|交|发货|出货)?\s*" + _SHIFT_AMOUNT)
# "可以晚一周", "能晚两天": later by that much, allowed (a plain "晚两天" is a statement of lateness)
_SHIFT_ZH_MAY = re.compile(r"(?:可以|可(?!能)|(?<!可)能|允许|同意|就)\s*(晚)\s*" + _SHIFT_AMOUNT)
_SHIFT_ZH_SHORT = re.compile(r"(晚|早)\s*" + _SHIFT_AMOUNT + r"\s*(?:交|发|出|到)")
# "想要 SO-1150 早两天": earlier by that much, said at the end ("晚两天" there is a statement of lateness)
_SHIFT_ZH_END = re.compile(r"(早)\s*" + _SHIFT_AMOUNT + r"\s*(?:吧|呗)?(?=$|[，,。!！?？])")
_SHIFT_EN = re.compile(r"(?<![a-z])(?:(?<!in )|(?<=pull in )|(?<=pulled in ))(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a )?couple of)\s+"
                       r"(days?|weeks?)(?:\s+(earlier|sooner|ahead|forward|later|back))?(?![a-z])")
_LATER_EN = re.compile(r"postpone|(?:push|move|put|set)(?:ed|ing)? (?:[\w-]+ )?(?:back|out)|delay|extend|later")
_EARLIER_EN = re.compile(r"earlier|sooner|(?:bring|brought|move|moved|pull|pulled) (?:[\w-]+ )?(?:forward|up|in)(?![a-z])|advance|prepone")


def _shift(text: str) -> tuple[int, tuple[int, int]] | None:
    """A date change by an amount, not to a date: "推迟3天" +3, "提前一周" -7, "晚两天交" +2,
    "two days earlier" -2, "push it out by a week" +7 (days, and the span to mask). A
    statement of lateness is none: "晚了3天", "3 days late"."""
    m = _SHIFT_ZH.search(text) or _SHIFT_ZH_SHORT.search(text) or _SHIFT_ZH_END.search(text) \
        or _SHIFT_ZH_MAY.search(text)
    if m:
        n = int(m[2]) if m[2].isdigit() else cn_to_int(m[2])
        sign = -1 if m[1] in ("提前", "早", "前移", "挪前") or m[1].startswith("往前") else 1
        unit = 1 if m[3] in ("天", "日") else 7
    else:
        m = _SHIFT_EN.search(text)
        if m is None:
            return None
        n = int(m[1]) if m[1].isdigit() else 2 if m[1].endswith("couple of") else EN_UNITS[m[1]]
        after = m[3]
        if after:
            sign = -1 if after in ("earlier", "sooner", "ahead", "forward") else 1
        elif _EARLIER_EN.search(text):
            sign = -1
        elif _LATER_EN.search(text):
            sign = 1
        else:
            return None
        unit = 1 if m[2].startswith("day") else 7
    if not n:
        return None
    return sign * n * unit, (m.start(), m.end())


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


_REF_INTRO = re.compile(r"(?:(?<![a-z])(?:on|for|of)|订单|单号)\s*#?\s*$")  # "finished 150 on 1101": the order


@dataclass(slots=True)
class _Number:
    start: int
    end: int
    value: int
    unit: bool  # a unit, a multiplier, grouping or a Chinese numeral: surely a quantity
    context: bool  # after "qty", "改成", "to", "of": probably a quantity
    digits: bool  # plain digits: could be an order number

    @property
    def strong(self) -> bool:
        return self.unit or self.context


_ORDER_VERB = re.compile(r"(?<![a-z])order\s*$")


def _just_before(text: str, end: int, product: int | None) -> bool:
    """Whether only blanks stand between ``end`` and a product named at ``product`` (masked)."""
    return product is not None and product >= end and not text[end:product].strip()


def _numbers(text: str, product: int | None = None, counted: bool = False) -> list[_Number]:
    """Numbers in the (masked) text, with how sure we are that each is a quantity; "order N"
    right before the product's name (starting at ``product``) orders N of it: "if we order 300
    齿轮箱" (but "1060 轴套 改成 400件" is order 1060), and so does any number right before it when
    the name is said in the plural (``counted``: "where are my 300 brackets")."""
    out: list[_Number] = []
    for m in NUMBER.finditer(text):
        value = number_value(m[1], m[2], m[3], m[4])
        if value is None:
            continue
        before = text[: m.start()]
        after = text[m.end() :]
        if _OLD_VALUE.search(before[-14:]) or _NOT_QTY_AFTER.match(after):
            continue
        unit = bool(m[3]) or bool(_UNIT_AFTER.match(after)) or "," in m[1] or _plural_after(after) is not None \
            or (_just_before(text, m.end(), product) and (counted or bool(_ORDER_VERB.search(before[-12:]))))
        context = not unit and bool(_QTY_CONTEXT.search(before[-16:]) or re.match(r"\s*of\s", after))
        digits = not m[3] and not m[2] and "," not in m[1]
        out.append(_Number(m.start(), m.end(), value, unit, context, digits))
    arabic = [(n.start, n.end) for n in out]
    for m in CN_NUMERAL.finditer(text):
        if any(a <= m.start() < b for a, b in arabic):  # the 千 of "2千" is that number's multiplier
            continue
        raw = m[0].lstrip("一") if len(m[0]) > 1 and m[0][1] in "一二三四五六七八九两" else m[0]
        after = text[m.end() :]
        has_mag = any(ch in raw for ch in "十拾百佰千仟万萬亿")
        unit_after = _UNIT_AFTER.match(after)
        if not (unit_after or (has_mag and len(raw) >= 2)) or (raw in ("两", "俩") and not unit_after):
            continue
        if re.match(r"\s*(?:天|周|个?星期|个?礼拜|个?月|年|次|点|号|日|小时|分钟)", after):
            continue
        if _OLD_VALUE.search(text[: m.start()][-14:]):
            continue
        value = cn_to_int(raw)
        if value:
            out.append(_Number(m.start() + len(m[0]) - len(raw), m.end(), value, True, False, False))
    for m in EN_NUMBER.finditer(text):
        out.append(_Number(m.start(), m.end(), en_number_value(m), True, False, False))
    out.sort(key=lambda n: n.start)
    return out


def _order_from(ref: str, prefix: str = DEFAULT_PREFIX) -> str | None:
    """The order's reference: ``ref`` is digits (an order in the factory's main numbering,
    ``prefix``) or a prefix and digits as written ("wo778")."""
    try:
        return normalise_ref(ref, prefix)
    except InvalidInput:  # pragma: no cover - digits always match
        return None


@lru_cache(maxsize=16)
def _prefixed_ref(prefixes: tuple[str, ...]) -> re.Pattern[str] | None:
    """A factory's own order prefixes followed by a number ("wo778", "XS-20261127001")."""
    own = sorted({p.lower() for p in prefixes if p.isascii() and p.isalpha() and p.lower() != "so"}, key=len, reverse=True)
    if not own:
        return None
    # "wo 778" with a space, but a single letter only joined ("a5", "A-5"): "a 5 day delay" is no order
    spaced = "|".join(re.escape(p) for p in own if len(p) > 1) or "(?!)"
    joined = "|".join(map(re.escape, own))
    return re.compile(rf"(?<![a-z])(?:({spaced})\s*[-_#:：]?\s*|({joined})(?:[-_#:：]|\s*[-_#:：]\s*)?)(\d{{1,12}}"
                      rf"(?:[-/]\d{{1,12}}){{0,2}})(?![\d])")  # "PO-2026-0042": its groups of digits too


def _raw_product(text: str, intent: IntentName) -> str | None:
    for pattern in (_CN_PRODUCT, _OF_PRODUCT, _PROMISE_PRODUCT, _CN_QTY_PRODUCT):
        if pattern is _CN_QTY_PRODUCT and intent not in _NEW_ORDER_INTENTS:
            continue
        m = pattern.search(text)
        if m:
            raw = m[1].strip(" -_")
            if raw and not _RAW_STOP.match(raw) and not _CHANGE.fullmatch(raw):
                return raw.upper() if len(raw) <= 2 and raw.isascii() else raw
    if intent in _NEW_ORDER_INTENTS:  # "how soon can we deliver 300 widgets": the things counted
        for m in re.finditer(r"\d(?=\s)", text):
            if (plural := _plural_after(text[m.end():])) is not None:
                return plural
    return None


def _language_of(text: str) -> str | None:
    zh = _LANG_ZH.search(text)
    en = _LANG_EN.search(text)
    if zh and en:
        # "看不懂英文，换中文" / "switch from Chinese to English": the later one is the wish
        return "en" if en.start() > zh.start() else "zh_Hans"
    if en:
        return "en"
    if zh:
        return "zh_Hans"
    return None


# --- the parser ------------------------------------------------------------------------------

_ORDER_INTENTS = frozenset(("order_status", "change_date", "change_quantity", "cancel", "complaint", "human",
                            "report_progress", "expedite", "material"))
_NEW_ORDER_INTENTS = frozenset(("promise", "rush"))  # about an order not yet placed
_PRODUCT_INTENTS = _NEW_ORDER_INTENTS | {"change_quantity"}  # a raw product word is read for these
_QTY_INTENTS = _PRODUCT_INTENTS | {"report_progress"}
_DATE_INTENTS = frozenset(("order_status", "promise", "rush", "change_date", "material"))


@dataclass(slots=True)
class _Features:
    """What was found in a message before its intent is decided."""

    text: str
    refs: list[tuple[int, int, str, bool]]  # start, end, digits (or a factory's prefix and digits), strong prefix
    numbers: list[_Number]
    has_date: bool
    has_product: bool
    has_customer: bool
    has_machine: bool = False
    due: bool = False  # a due-date window: "今天要交的", "due this week"
    shift: bool = False  # a date change by an amount: "推迟3天", "two days earlier"
    prefix: str = DEFAULT_PREFIX  # a number said alone is an order of this numbering

    @property
    def has_ref(self) -> bool:
        return bool(self.refs)

    @property
    def bare_refs(self) -> list[_Number]:
        """Plain numbers of 3+ digits that could be an order number."""
        return [n for n in self.numbers if n.digits and not n.unit and n.value >= 100]

    @property
    def maybe_ref(self) -> bool:
        return self.has_ref or bool(self.bare_refs)

    @property
    def bare_ref(self) -> _Number | None:
        """The plain number most likely the order's: one introduced as an order ("on 1101", "for
        1101", "of 1101"), else the first not said as a quantity ("150 of ..."), else the first."""
        bare = self.bare_refs
        introduced = [n for n in bare if _REF_INTRO.search(self.text[: n.start][-6:])]
        plain = [n for n in bare if not n.context]
        pick = introduced or plain or bare
        return pick[0] if pick else None

    @property
    def quantities(self) -> list[_Number]:
        """Numbers that would be quantities once the order number (if bare) is set aside."""
        if self.has_ref:
            return list(self.numbers)
        ref = self.bare_ref
        return [n for n in self.numbers if n is not ref]

    @property
    def has_unit_qty(self) -> bool:
        return any(n.unit for n in self.numbers)


def parse(text: str, *, today: date, products: Collection[str] = (), customers: Collection[str] = (),
          machines: Collection[str] = (), order_prefixes: Sequence[str] = ()) -> Intent:
    """One chat message -> its :class:`Intent`.

    Args:
        text: the message as typed (any length; over :data:`MAX_TEXT` characters is ``unknown``).
        today: the factory's local date; relative dates resolve to a date >= today.
        products: the known product names (matched loosely and fuzzily); otherwise a raw product
            token after "of" / 产品 is returned.
        customers: the known customer names.
        machines: the known machine names (a machine stop or restart names one).
        order_prefixes: the letters the factory's order numbers start with, the most used
            first ("WO" for WO-778): "wo778" is that order, and a number said alone, or after
            "order" / 订单 / #, is one of the first; paichan's own "SO" always counts.

    Returns:
        The intent and its slots. Never raises for any string.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return UNKNOWN
    clean = _clean(text)
    if not clean:
        return UNKNOWN
    if re.fullmatch(r"[?？]+|h|帮助|help|/\?", clean):
        return Intent("help")
    t = _correct(clean)

    # Slash commands: the command names the intent, the rest is parsed for slots.
    slash_intent: IntentName | None = None
    m = _SLASH.match(t)
    if m:
        command, rest = m[1], m[2] or ""
        if command == "change":
            t = "change " + rest
        elif command in _SLASH_INTENTS:
            slash_intent = _SLASH_INTENTS[command]
            t = f"{command} {rest}".strip()

    product_hit = _match_known(t, products)
    customer_hit = _match_customer(t, customers)
    if product_hit is None and (short := _match_short_product(t, products)) is not None \
            and (customer_hit is None or short[2] <= customer_hit[1] or short[1] >= customer_hit[2]):
        product_hit = short  # not a word of a customer's name ("Gear Tech" beside "Gear Housing")
    machine_hit = _match_machine(t, machines)
    work = t
    for hit in (product_hit, customer_hit, machine_hit):
        if hit:
            work = _mask(work, hit[1], hit[2])
    refs: list[tuple[int, int, str, bool]] = []
    own = _prefixed_ref(tuple(order_prefixes))
    for rm in own.finditer(work) if own is not None else ():  # before dates: "XS20261127001" is no date
        refs.append((rm.start(), rm.end(), (rm[1] or rm[2]) + rm[3], True))
    for a, b, _, _ in refs:
        work = _mask(work, a, b)
    prefix = next((p.upper() for p in order_prefixes if p.isascii() and p.isalpha()), DEFAULT_PREFIX)
    due_by, period = _due_window(work, today)
    if period:
        work = _mask(work, *period)
    shifted = _shift(work)
    if shifted:
        work = _mask(work, *shifted[1])
    dates = find_dates(work, today)
    when = target_date(work, dates)  # the last one not said as the old one ("the 3rd instead of the 5th")
    for start, end, _ in dates:
        work = _mask(work, start, end)
    if due_by is None and when is not None and _DUE.search(work):
        due_by = when
    step: int | None = None
    sm = _STEP.search(work)
    if sm:  # a step number is never a quantity
        raw = next(g for g in sm.groups() if g)
        step = int(raw) if raw.isdigit() else cn_to_int(raw)
        work = _mask(work, sm.start(), sm.end())
    scrap: int | None = None
    scrap_of_made = False
    scrapped = _SCRAP.search(work)
    if scrapped and (_SCRAP_MADE.search(work) or _DONE.search(work)):  # a report: the scrap is no quantity
        raw = next(g for g in scrapped.groups() if g)
        scrap = int(raw) if raw.isdigit() else cn_to_int(raw)
        scrap_of_made = bool(_OF_WHICH.search(work))
        work = _mask(work, scrapped.start(), scrapped.end())
    product_at = product_hit[1] if product_hit else None
    counted = product_hit is not None and _said_in_plural(t[product_hit[1]:product_hit[2]], product_hit[0])
    for rm in _REF.finditer(work):
        after = work[rm.end() :]
        strong = bool(_STRONG_REF_PREFIX.match(rm[0].strip()))
        if _UNIT_AFTER.match(after) or _MULT_AFTER.match(after) or (not strong and _plural_after(after)):
            continue  # "订单500件" / "order 2k" / "order 300 widgets": a quantity
        if not strong and _just_before(work, rm.end(), product_at):
            continue  # "if we order 300 齿轮箱": a quantity of the product named right after it
        said_so = re.match(r"s\.?o\.?", rm[0].strip()) is not None  # paichan's own numbering, named
        # "SO-2026-0042": more groups of digits only where the letters are written
        refs.append((rm.start(), rm.end() if said_so else rm.end() - len(rm[2] or ""),
                     "so" + rm[1] + (rm[2] or "") if said_so else rm[1], strong))
    for rm in _REF_BEFORE.finditer(work):  # "1042号订单", "1201 那单": the number first
        g = 1 if rm[1] else 2
        if not any(a <= rm.start(g) < b for a, b, _, _ in refs):
            refs.append((rm.start(), rm.end(), rm[g], True))
    refs.sort()
    features = _Features(work, refs, _numbers(_mask_refs(work, refs), product_at, counted), when is not None,
                         product_hit is not None, customer_hit is not None, machine_hit is not None,
                         due=due_by is not None, shift=shifted is not None, prefix=prefix)
    intent = slash_intent or _decide(t, features)
    if scrap is not None and features.maybe_ref and intent in ("order_status", "complaint", "unknown") \
            and not _DONE_QUESTION.search(t):
        intent = "report_progress"  # "SO-1042 报废20件", "SO-1042 合格180 不良20": a report

    if intent in _NEW_ORDER_INTENTS and any(not r[3] for r in refs):
        # "rush order 250 widgets": the weak "order N" was a quantity after all
        refs = [r for r in refs if r[3]]
        features = _Features(work, refs, _numbers(_mask_refs(work, refs), product_at, counted), when is not None,
                             product_hit is not None, customer_hit is not None, machine_hit is not None,
                             due=due_by is not None, shift=shifted is not None, prefix=prefix)
    order, quantity = _roles(intent, features)
    if intent != "report_progress":
        scrap = None
    elif scrap is not None and scrap_of_made and quantity is not None and quantity >= scrap:
        quantity -= scrap  # "做了200件，其中5件报废": 195 good
    elif scrap is not None and quantity is None and not _DONE.search(t):
        quantity = 0  # "SO-1042 报废20件": scrap alone ("焊完了，报废两件" asks how many good ones)

    product = product_hit[0] if product_hit else None
    if product is None and intent in _PRODUCT_INTENTS:
        product = _raw_product(_mask_refs(t, refs), intent)
    language = None
    if intent == "language":
        language = _language_of(t)
        if language is None and slash_intent:
            arg = t.split(" ", 1)[1] if " " in t else ""
            language = "en" if arg.startswith("en") else "zh_Hans" if arg.startswith(("zh", "cn", "中")) else None
    if intent == "unknown":
        return UNKNOWN
    stop = StopLength()
    if intent == "machine_down":  # the machine's own name may hold digits: not a length
        stop = stop_length(_mask(t, machine_hit[1], machine_hit[2]) if machine_hit else t, today)
    because = intent == "late_orders" and bool(_BECAUSE_OF.search(t))
    return Intent(
        intent=intent,
        order=order if intent in _ORDER_INTENTS or because else None,
        quantity=quantity if intent in _QTY_INTENTS else None,
        product=product,
        date=(due_by if intent == "list_orders" else _arrival_by(intent, t, today) or _date_of(intent, when, t, today)
              if intent in _DATE_INTENTS else stop.day),
        customer=customer_hit[0] if customer_hit else None,
        language=language,
        priority=bool(_PRIORITY.search(t) or _URGENT.search(t)) and not _NOT_URGENT.search(t),
        machine=machine_hit[0] if machine_hit and intent in ("machine_down", "machine_up", "machine_queue", "machine_status") else None,
        step=step if intent == "report_progress" and step and step > 0 else None,
        minutes=stop.minutes,
        until=stop.at,
        late=intent == "order_status" and bool(_LATE_WORD.search(t)),
        shift_days=shifted[0] if shifted and intent == "change_date" and when is None else None,
        daily=intent == "summary" and bool(_DAILY.search(t)) and not _PLAN_SUMMARY.search(t)
        and not (_LOAD.search(t) and not _DAILY_ONLY.search(t)),  # "how full are we this week": the load
        back=(intent in _ORDER_INTENTS or because) and order is None and (because or _refers_back(t) or (
            intent in _UNSAID_INTENTS and not customer_hit and bool(_UNSAID.search(t)))
            or (intent == "order_status" and _unsaid_arrival(t, features))),
        work=_work_of(t) if intent == "report_progress" else None,
        scrap=scrap,
        by_customer=intent == "late_orders" and not customer_hit and bool(_BY_CUSTOMER.search(t)),
        vip=intent in ("list_orders", "late_orders") and bool(_VIP_ORDERS.search(t)),
        load=intent == "summary" and bool(_LOAD.search(t)) and not _DAILY_ONLY.search(t),
        because=because,
        total=intent == "report_progress" and bool(_SO_FAR.search(t)),
        quantity_change=_quantity_change(_mask_refs(t, refs)) if intent == "change_quantity" else None,
        lower=intent == "expedite" and _lowered(t, features),
    )


def _date_of(intent: IntentName, when: date | None, t: str, today: date) -> date | None:
    """The date an intent carries: a promise's is the day wanted, so not today or before ("如果今天下单
    ... 几号能交": the day of ordering); material that came is there now ("料到齐了，明天开工")."""
    if intent == "promise" and when is not None and when <= today:
        return None
    if intent == "material" and _THERE_NOW.search(t):
        return None
    return when


# the kind of work a report's verb names; the service matches it against the routing's steps
_WORK = (
    ("weld", re.compile(r"焊|(?<![a-z])weld")),
    ("paint", re.compile(r"喷漆|喷涂|喷完|涂装|(?<![a-z])(?:paint|spray|coat)")),
    ("pack", re.compile(r"包装|打包|包完|(?<![a-z])pack")),  # before assembly: 包装完 holds 装完
    ("assemble", re.compile(r"装配|组装|装完|(?<![a-z])assembl")),
    ("cut", re.compile(r"下料|切割|切完|割完|(?<![a-z])(?:cut|sawn|sawed|lasered)")),
    ("press", re.compile(r"冲压|冲完|压完|折弯|折完|剪完|(?<![a-z])(?:pressed|stamped|bent)")),
    ("machine", re.compile(r"[车铣磨钻镗刨](?:完|好|了)|(?<![a-z])(?:machined|turned|milled|drilled|ground|bored)")),
    ("inspect", re.compile(r"检验|质检|检完|(?<![a-z])inspected")),
)


def _work_of(t: str) -> str | None:
    return next((kind for kind, rx in _WORK if rx.search(t)), None)


def _roles(intent: IntentName, f: _Features) -> tuple[str | None, int | None]:
    """The order reference and the quantity, given the intent."""
    order: str | None = None
    numbers = list(f.numbers)
    if f.refs:
        strong = [r for r in f.refs if r[3]]
        order = _order_from((strong or f.refs)[0][2], f.prefix)
    elif intent in _ORDER_INTENTS and (first := f.bare_ref) is not None:
        if intent != "change_quantity" or len(numbers) >= 2 or not first.strong:  # "数量改为250": the quantity
            order = _order_from(str(first.value), f.prefix)
            numbers = [n for n in numbers if n is not first]
    quantity: int | None = None
    if intent in _QTY_INTENTS and numbers:
        sure = [n for n in numbers if n.strong]
        pool = sure or numbers
        pick = pool[-1] if intent == "change_quantity" else pool[0]
        if 0 < pick.value <= MAX_QUANTITY:
            quantity = pick.value
    return order, quantity


def _mask_refs(text: str, refs: list[tuple[int, int, str, bool]]) -> str:
    for start, end, _, _ in refs:
        text = _mask(text, start, end)
    return text


# an order's material said to come on a day, or to be there: "SO-1042 的物料推迟到周三", "1042 来料到齐了",
# "material for SO-1042 arrives Monday" (a question about it, "物料什么时候到", is a status question)
_MATERIAL = _rx(r"物料|材料|原料|原材料|来料|毛坯|铸件|钢材|板材|齐套|配件|外购件|外协件|缺料|(?:的|备)料|(?<![预意照饮])料(?=到|已|还|要|没|齐|才)",
                r"(?<![a-z])(?:materials?|raw material|castings?|blanks|steel|(?:parts|components) for)(?![a-z])")
_ARRIVED = _rx(r"到了|到齐|已到|已经到|进厂了|齐了|齐套了", r"arrived|(?:is|are|came|come) in(?![a-z])|has come|have come|delivered")
_THERE_NOW = _rx(r"到了|到齐了|已到|已经到|进厂了|齐了|齐套了",  # there now, whatever day is said beside it
                 r"arrived|(?:is|are|came) in(?![a-z])|has come|have come|was delivered|were delivered")
_ASKED = re.compile(r"[?？]|吗|么|什么时候|几号|哪天|(?<![a-z])(?:when|will it|did it|has it|have they)(?![a-z])")
_ARRIVE = _rx(r"到货|能[^，,。?？]{0,4}到|送到|送达|到得了|赶得上|能交(?:吗|不|么|得了)|能(?:发|发货|出货|出)(?:吗|不|么|得了)|"
              r"(?:前|之前|以前)(?:必须|一定|务必|得|需要)?要?(?:到|交|送到)",  # "12月20号之前必须要到"
              r"arrive|(?:get|be) (?:here|there)(?![a-z])|(?<![a-z])make it(?![a-z])|get (?:it|them|(?:my|our|the) \w+) to (?:us|me)|"
              r"(?<![a-z])need(?:s|ed)? (?:it|them|this|that|these|those|(?:the|my|our|this|that) (?:\w+ ){0,2}(?:order|goods|delivery|shipment|one)s?)"
              r" (?:by|before)(?![a-z])")  # "we need it by Dec 20", "we need the order before Friday"
# what arrives, beside the order words (_ORDER_WORD): "我们12月20号之前必须要到货", "we need the goods before Dec 5"
_GOODS_WORD = re.compile(r"货|(?<![a-z])(?:goods|shipments|deliveries)(?![a-z])")
_IF = _rx(r"如果|假如|要是|假设|万一", r"(?<![a-z])(?:if|suppose|supposing|what if)(?![a-z])")
_QUESTION = re.compile(r"\?|？|吗|能不能|可以|能否|can|could|what|when|什么时候|几号|哪天|交期|交货")
_EXPLICIT_PROMISE = re.compile(r"(?<![a-z])promise|承诺|quote|报.{0,3}交期|算.{0,4}交期|ctp")


_RUSH_COUNT = _rx(r"(?:几|多少)(?:个|单|张)?(?:插单|急单|加急单)", r"how many (?:rush|urgent|hot) (?:orders|jobs|insertions)")


# a report of the good units so far, not of units made since the last one
_SO_FAR = _rx(r"累计|累积|截至目前|到目前为止|做到\s*(?=\d|[一二两三四五六七八九十百千])",
              r"so far|in total|total (?:done|made|finished|produced)|(?:done|made|finished|produced) in total|altogether|"
              r"cumulative|up to \d+ (?:now|done)")
_AMOUNT = r"(\d[\d,]*|[零一二两三四五六七八九十百千万]+)"
_QTY_UP = re.compile(r"(?:再加|多做|多加|多要|追加了?|再要|增加|加)\s*" + _AMOUNT + r"(?!\s*(?:天|日|周|号|%|小时|分钟))|"
                     r"(?<![a-z])(?:add|another|an extra|extra|plus|increase (?:it |the )?(?:qty |quantity )?by|up by)\s+"
                     + _AMOUNT + r"|" + _AMOUNT + r"\s*(?:pcs |pieces |units |more pieces )?(?:more|extra|additional)(?![a-z])")
_QTY_DOWN = re.compile(r"(?:少做|少要|减少|减掉|减|砍掉|去掉|少)\s*" + _AMOUNT + r"(?!\s*(?:天|日|周|号|%|小时|分钟))|"
                       r"(?<![a-z])(?:minus|(?:reduce|decrease|cut|lower|drop)(?: it| the)?(?: qty| quantity)? by|down by)\s+"
                       + _AMOUNT + r"|" + _AMOUNT + r"\s*(?:pcs |pieces |units )?(?:less|fewer)(?![a-z])")
# the new quantity itself said: "再加200件，总共变成700", "cut SO-1088 to 120", "make it 400"
_QTY_ABSOLUTE = _rx(r"改成|改为|变成|加到|减到|增加到|减少到|增至|减至|加至|总共|一共|总数|总量",
                    r"(?<![a-z])to \d|(?<![a-z])to (?:one|two|three|four|five|six|seven|eight|nine|ten)|make it|in total|total of|altogether")


def _quantity_change(t: str) -> int | None:
    """The amount a quantity changes by, signed ("再加50件" +50, "少做20件" -20, "30 fewer" -30);
    None when the new quantity itself is said, or no amount is."""
    if _QTY_ABSOLUTE.search(t):
        return None
    for pattern, sign in ((_QTY_DOWN, -1), (_QTY_UP, 1)):
        m = pattern.search(t)
        if m:
            raw = next(g for g in m.groups() if g)
            n = int(raw.replace(",", "")) if raw[0].isdigit() else cn_to_int(raw)
            return sign * n if n else None
    return None


_FILLER = re.compile(r"^(?:(?:那个|嗯+|就是|喂|呃|额|哎|诶|um+|uh+|erm|so)(?![a-z])[\s,，.。]*)+")


def _floor(t: str, f: _Features) -> IntentName | None:
    """The shop floor's and the managers' intents: a report of finished units, a machine that
    stopped or runs again, the key figures, the late orders, the plan summary, the Gantt chart.
    A machine stop or restart needs a machine name or an unmistakable phrase ("设备故障",
    "machine is down"), and finished units need a number and no question: "SO-1042 完成了吗"
    stays a status question."""
    if _GANTT.search(t):
        return "gantt"
    if _RUSH_COUNT.search(t) and not f.maybe_ref:
        return "summary"  # "how many rush orders came in yesterday": the daily summary counts them
    # units finished on an order, said in a report's words: "shift report: finished 240 pcs on SO-1042"
    reported = f.has_ref and bool(f.quantities) and bool(_DONE.search(t)) and not _DONE_QUESTION.search(t)
    if _KPI.search(t) and not f.has_ref:  # "will SO-1042 be an on-time delivery?": its status
        return "kpi"
    if not f.has_ref and _BY_CUSTOMER.search(t) and _LATE_WORD.search(t):
        return "late_orders"  # "哪个客户延误最多", "delays per client": the late orders counted per customer
    if _BECAUSE_OF.search(t) and (_SEVERAL.search(t) or _WHO.search(t)):
        return "late_orders"  # "which orders did SO-1451 delay", "SO-1451插进来以后哪些单晚了": those it made late
    if _LATE_LIST.search(t) and not f.has_ref and (not _WHY.search(t) or _SEVERAL.search(t)):
        return "late_orders"  # "why is my order late": its status; "which orders are late and why": the list
    if (_SUMMARY.search(t) and not _LIST.search(t) and not reported) or (_SHIPPED_COUNT.search(t) and not f.maybe_ref):
        return "summary"  # "overview of my orders": a list
    if _LOAD.search(t) and not f.maybe_ref and not f.numbers and not f.has_product and not f.has_customer \
            and not (f.has_machine and _QUEUE.search(t)):  # "what should I load once this is done on CNC-1": its queue
        return "summary"  # "设备负荷怎么样", "how loaded are the machines": their load, the bottleneck first
    stop_words = _UP.search(t) or _DOWN.search(t)
    if stop_words and _MACHINE_ASKED.search(t) and not _NOT_KNOWN.search(t) and not f.has_ref \
            and (f.has_machine or _UP_STRONG.search(t) or _DOWN_STRONG.search(t) or _WHICH_MACHINE.search(t)):
        return "machine_status"  # "WLD-1什么时候修好", "哪台机器停了", "is CNC-2 still down?": asked, nothing recorded
    if _DOWN.search(t) and _NOT_KNOWN.search(t) and (f.has_machine or _DOWN_STRONG.search(t)):
        return "machine_down"  # "CNC-2 停机 什么时候修好还不知道": down, its end not known
    if _UP.search(t) and (f.has_machine or _UP_STRONG.search(t)):
        # "预计下午2点修好", "will be fixed by Monday": still down, with the time it is back
        return "machine_down" if _UP_LATER.search(t) else "machine_up"
    if _DOWN.search(t) and (f.has_machine or _DOWN_STRONG.search(t)):
        return "machine_down"
    if ((_QUEUE.search(t) and f.has_machine) or _QUEUE_STRONG.search(t)) and not f.has_ref:
        return "machine_queue"
    if f.has_machine and _ON_MACHINE.search(t) and not f.maybe_ref and not f.numbers:
        return "machine_queue"  # "I'm on CNC-1", "我在WLD-1上": that machine from now on, and its work
    if (not f.maybe_ref and not f.has_product and not f.has_date and any(n.unit for n in f.numbers)
            and _DONE.search(t) and not _DONE_QUESTION.search(t) and not _NOT_DONE.search(t) and not _PROMISE.search(t)):
        return "report_progress"  # "finished 80 pcs", "当前这单做完了，80件": units done, on which is asked
    if (not f.maybe_ref and not f.has_product and not f.has_date and len(f.numbers) == 1 and _DONE_BARE.search(t)
            and not _DONE_QUESTION.search(t) and not _PROMISE.search(t)):
        return "report_progress"  # "done 20", "20 more finished", "made another 35": the number next to the verb
    if _PLAN_LOOK.search(t) and not f.maybe_ref and not _ORDER_WORD.search(t):  # "我的订单计划怎么样": the orders
        return "summary"
    if _REPORT.search(t):
        return "report_progress"
    done = _DONE.search(t) or (not f.quantities and _DONE_OF.search(t))
    if f.maybe_ref and done and not _DONE_QUESTION.search(t) and (f.quantities or not _NOT_DONE.search(t)):
        # "SO-1042 完成 120 件"; without a number ("SO-1042 焊完了") the rest of the step, asked before it is recorded
        return "report_progress"
    return None


def _decide(t: str, f: _Features) -> IntentName:
    """The intent from the keyword families found in ``t`` and the slots present."""
    if _THANKS.fullmatch(t):  # thanks and nothing else, "谢谢你的帮助" / "thanks for the help" included
        return "thanks"
    short = len(t) <= 40
    if short and (_LANG_EN.search(t) or _LANG_ZH.search(t)):
        bare_language = re.fullmatch(r"(?:in )?(?:english|chinese|中文|英文|英语|汉语|普通话|en|zh|zh[-_]hans|cn)"
                                     r"(?:就好|就行|就可以|吧)?[.!。！?？]?", t)
        if bare_language or (_LANG_ACTION.search(t) and not f.maybe_ref and not f.numbers):
            return "language"
    if _LANG_ONLY.search(t) and (short or not (f.maybe_ref or f.numbers)):
        return "language"
    if _COMPLAINTS_ASKED.search(t) and not f.maybe_ref:
        return "complaints"  # "who complained recently", "最近有哪些投诉": the complaints, nothing recorded
    if _COMPLAINT.search(t) and _ADDRESSED.search(t):  # "your delivery performance is terrible"
        return "complaint"
    if _HOW_TO.search(t) and not f.maybe_ref and not f.numbers:  # "how do I report progress?": not a report
        return "help"
    floor = _floor(t, f)
    if floor is not None:
        return floor
    if _VIP_ORDERS.search(t) and not f.maybe_ref and not f.has_product and not f.quantities:
        return "late_orders" if _LATE_WORD.search(t) else "list_orders"  # "VIP订单有哪些", "which VIP orders are late"
    if _lowered(t, f):
        return "expedite"  # "cancel the rush on SO-1042", "1042不用加急了": its priority taken back (``lower``)
    cancel = _CANCEL.search(_NOT_CANCEL.sub(" ", t))
    if cancel and (f.maybe_ref or short):
        return "cancel"
    if _COMPLAINT.search(t) or (_DEFECT.search(t) and not f.has_machine):
        return "complaint"
    if _HUMAN.search(t):
        return "human"
    dates_asked = _PROMISE.search(_COMMERCIAL.sub(" ", t)) and (f.has_product or f.quantities)
    if _COMMERCIAL.search(t) and not dates_asked and not _RUSH_STRONG.search(t):
        return "human"  # "能不能便宜点", "the invoice for SO-1042 never came": for the sales contact, as written
    if cancel:
        return "cancel"
    if _MATERIAL.search(t) and (f.has_date or _ARRIVED.search(t)) and not _ASKED.search(t) \
            and not (f.has_product and f.quantities):  # "SO-1042 物料推迟到周三", "material for 1042 arrived"
        return "material"
    promise = _PROMISE.search(t)
    change = _CHANGE.search(t)
    new_order = f.has_product or any(n.unit or n.strong for n in f.numbers)
    rush = _RUSH_STRONG.search(t) or (
        (_RUSH_WEAK.search(t) or (_RUSH_NEED.search(t) and new_order and not f.has_ref)) and not promise
    )
    placing = _PLACE_ORDER.search(t) if new_order and not f.has_ref else None
    if placing and not rush and not promise:  # "I'd like to order 300 more Bracket A for Dec 20", "想下个单，齿轮箱100台"
        if _PLACING_ASKED.search(_ASAP.sub(" ", t)):
            return "promise"
        rush = placing
    if rush and promise and _IF.search(t) and _QUESTION.search(t):
        rush = None  # "如果ACME追加500件轴套，12月8号能交吗": could it be done, asked before anything is inserted
    if f.shift and not f.has_date and not rush and (f.maybe_ref or change or _ORDER_WORD.search(t)
                                                    or _DATE_WORD.search(t) or _EARLIER.search(t)):
        return "change_date"  # "SO-1042 推迟3天", "can we move 1042 two days earlier"
    asks_earlier = _EARLIER.search(t) and _CAN_IT.search(t) and not _WHY.search(t)
    # "1042加急", "这个1042能不能加急一下": a bare number with nothing of a new order is the order's
    weak_on_number = (_RUSH_WEAK.search(t) and not _RUSH_STRONG.search(t) and f.bare_ref is not None
                      and not f.has_customer)
    if (_EXPEDITE.search(t) or asks_earlier or (rush and (f.has_ref or weak_on_number))) and not new_order \
            and not f.has_date and not (f.maybe_ref and _PRIORITY_DOWN.search(t)):
        return "expedite"  # an existing order, faster (a new one names a product or a quantity)
    # "ACME says SO-1042 is now top priority", "1042 客户急要": an order named, wanted first
    if (_PRIORITY.search(t) or _RUSH_NEED.search(t)) and f.maybe_ref and not new_order and not f.has_date \
            and not _PRIORITY_DOWN.search(t) and not _PRIORITY_ASKED.search(t) and not _VIP_ORDERS.search(t):
        return "expedite"
    if rush and not (f.has_ref and change):
        return "rush"
    if (f.has_customer and f.has_product and f.quantities and (f.has_date or _PRIORITY.search(t)) and not f.maybe_ref
            and not promise and not _QUESTION.search(t)):
        # "美的集团 要 1.5k 个法兰盘 月底前", "order 300 widgets for ACME asap": who, what, how many, by when
        # (or at once): a new order, previewed first
        return "rush"
    if f.maybe_ref and f.quantities and not f.has_date and not f.has_product and _quantity_change(t) is not None \
            and not promise:
        return "change_quantity"  # "SO-1042 add 50 more", "SO-1042 30 fewer please": by that amount
    back = _refers_back(t)  # "这个订单能不能改成300件": the chat's order, as if named
    date_ok = bool(f.has_date and _DATE_OK.search(t)) and not _QUESTION_MARK.search(t)
    if (f.maybe_ref or back) and (change or f.has_ref or _QTY_WORD.search(t) or date_ok):
        qty_word = _QTY_WORD.search(t)
        date_word = _DATE_WORD.search(t)
        quantities = [n for n in f.quantities if n.value > 0]  # "still shows 0 pcs done": no new quantity
        if (change or qty_word) and quantities and not f.has_date and (qty_word or change or f.has_unit_qty):
            if change or (qty_word and (f.has_ref or len(f.numbers) >= 2)):
                return "change_quantity"
        if change and qty_word and not f.has_date:
            return "change_quantity"
        if f.has_date and (change or date_ok or (date_word and not _WHEN_ASKED.search(t) and not _DUE_STATED.search(t))):
            return "change_date"  # not "when will SO-1150 ship? we have a truck booked for friday"
        if change and date_word:  # no date: "1042 提前交" / "ship 1042 earlier" is that order, faster
            return "expedite" if _EARLIER.search(t) else "change_date"
    if change and f.has_date and not new_order and _DATE_WORD.search(t) and (_ORDER_WORD.search(t) or _CAN_IT.search(t)):
        return "change_date"  # "我们的订单能不能提前到下周一", "能提前到12月1日吗": which order is asked next
    if change and _UNSAID.search(t) and not (f.has_product or f.has_customer or rush or promise):
        # Chinese leaves the order unsaid ("改成80件", "交期改到12月20日", "延到月底"): the chat's last one
        if f.has_date and not f.quantities:
            return "change_date"
        if f.quantities and not f.has_date and (f.has_unit_qty or _QTY_WORD.search(t) or any(n.context for n in f.numbers)):
            return "change_quantity"
    if f.due and not f.maybe_ref and not new_order and not rush and not change:
        return "list_orders"  # "今天有哪些单子要交", "what's due this week": due by then
    has_qty = any(n.strong for n in f.numbers) or (bool(f.numbers) and not f.maybe_ref)
    # whether orders arrive by a day or within a period: "will all my orders arrive by friday", "这周的货能到吗"
    arrive_asked = bool(_ARRIVE.search(t)) and (f.has_date or bool(_PERIOD.search(t))) and not f.quantities
    if promise and not f.has_ref and (f.has_product or has_qty or _EXPLICIT_PROMISE.search(t)):
        return "promise"
    if arrive_asked and f.has_date and not change and (f.has_ref or back or _ORDER_WORD.search(t) or _GOODS_WORD.search(t)
                                                        or _unsaid_arrival(t, f)):
        return "order_status"  # "we need it by Dec 20", "SO-1441能在12月20号前到吗": is it planned by then
    if f.has_product and (f.has_unit_qty or (f.numbers and f.has_date)) and not f.has_ref and _QUESTION.search(t):
        return "promise"  # "300 Flange 80 by Friday?", "how about 500 PX-200 by 12/8?"
    if _HOW_TO.search(t) and not f.maybe_ref:  # "how do i check an order?", as "怎么查订单"
        return "help"
    if _LATE_WORD.search(t) and (_WHY.search(t) or _WHY_SLOW.search(t)) and not (f.has_machine or f.has_customer) \
            and not _SEVERAL.search(t):
        return "order_status"  # "why is my order so slow", "why are my orders late": the late ones, with why
    if _LIST.search(t) and not f.has_ref:
        if arrive_asked:
            return "order_status"  # "will all my orders arrive by friday": which are planned by then
        return "list_orders"
    if f.has_customer and arrive_asked and not f.has_product and not f.maybe_ref:
        return "order_status"  # "Bosch的单子下周能交吗": which of theirs are planned by then
    if f.has_customer and not f.has_product and not f.maybe_ref and _CUSTOMER_ORDERS.search(t):  # "ACME的订单"
        return "late_orders" if _LATE_WORD.search(t) else "list_orders"
    if _MY_ORDERS_ONLY.match(t):
        return "list_orders"
    if _STATUS.search(t) and (f.maybe_ref or _WHY.search(t) or f.has_product  # "the ETA on the gear housings"
                              or re.search(r"订单|单子|单|货|它|order|shipment|package|delivery|goods|stuff|it|my|我", t)):
        return "order_status"
    if _HELP.search(t):
        return "help"
    if f.has_ref or (f.bare_refs and _FOLLOW_UP.fullmatch(t)):
        return "order_status"  # "1042", "and 1088?", "how about 1055 then", "还有 1150 的呢"
    if _FOLLOW_UP_BACK.fullmatch(t):
        return "order_status"  # "这个呢", "and that one?": the order the chat is about
    if back and (_QUESTION.search(t) or _HOW_FAR.search(t)):  # "它还差多少", "how far along is it"
        return "order_status"
    if f.has_machine and not f.maybe_ref and not f.numbers and not re.search(r"[a-z\u4e00-\u9fff]", f.text):
        return "machine_queue"  # a machine's name alone ("CNC-1", the answer to "which machine?"): its queue
    said = _FILLER.sub("", t)  # "那个你好我是…": voice input's fillers before the greeting
    greeting = _GREETING.match(said)
    if _GREETING.fullmatch(said) or (greeting and _INTRO.fullmatch(said[greeting.end():])
                                     and not f.maybe_ref and not f.numbers):
        return "greeting"  # "你好，我是美的集团的采购", "hi, this is Tom from Globex"
    if f.has_customer and not f.maybe_ref:  # "how are things with ACME": nothing else asked of a customer named
        return "late_orders" if _LATE_WORD.search(t) else "list_orders"
    return "unknown"
