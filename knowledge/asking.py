"""How a question asks: a person's own task ("how do I write a Helm chart") rather than a company's need.

The overview tells a commercial open-source company which services it needs and who provides them. A question in
the first person singular that asks how to do something ("how do I file a 1099", "can I use a GPL library in
my app", "what do I do if a customer won't pay") asks for instructions or advice on one person's task, which the
overview does not give, even when its words are the overview's ("Kubernetes operator", "postmortem"). The
decision declines such a question unless it names an entry word for word, or its verb asks for help the overview
does give: finding, hiring or choosing someone ("how do I find an IP lawyer").

A question that asks for a figure or a norm ("what's the VAT rate in Germany", "what's a good burn multiple",
"how many slides should a deck have"), for the difference between two terms, for a template, for how a figure
is calculated or a thing is taxed ("how is NRR calculated", "how are options taxed"), for due dates, for a figure
anywhere in a clause ("what corporate tax rate would we pay", "what does a subscription cost"), for the exact
steps of a procedure, or for what a rule obliges ("do past contributors need to sign off", "does LGPD require us
to appoint a DPO"), for a clause of a text ("which GDPR article", "which config param"), for a price per unit,
a fee, a score or a time limit, for one of two figures ("10% or 15%?"), for how long something takes in weeks,
days or hours, or for a product's internals ("how does TiKV decide when to split a region", "the default
size", "which version added", "how is it architected", "its optimizer"), for the terms of a grant or a sales plan
(a strike price, a vesting cliff, a ratio of roles), for a market cap, a date or a recommended maximum, for a
procedure's full list or documents, for a tax or a price, for a provider's prices compared, for an exact date or a
case's recurring revenue, for who founded or leads a company, where its offices are or its total revenue, for a
technical task of the company's own ("how do we configure SSO"), or for a translation, asks for facts the overview
does not hold either: it names services, not rates, formulas, rules, dates or documents.
In Chinese: how to calculate or write something ("怎么计算", "怎么写"), a tax rate, a difference, a template, a
deadline, which article ("第几条"), how much of something ("多少股份", "多少钱"), a version number, or how to
configure, deploy or install something.

Only the question's opening counts ("how worried should I be" is not a task), and a company's question in the
plural ("how do we price it") is never one.
"""

from __future__ import annotations

import re

__all__ = ["HELP_VERBS", "asks_for_figure", "personal_task"]

# Verbs of a question that asks for the help the overview names (services, providers, partners), or for its
# judgement ("how can I tell that we are a commercial company").
HELP_VERBS = frozenset(
    """
    find hire recruit choose select pick contact reach engage partner work talk get hook
    finding hiring recruiting choosing selecting picking contacting engaging partnering working getting bringing
    tell know judge recognize recognise assess evaluate
    """.split()
)
_OPENING = re.compile(
    r"^(?:(?:hey|hi|hello|so|ok|okay|um|hmm|quick question|question|honestly|basically)\W+)*"
    r"(?P<ask>how (?:do|can|could|should|would|shall) i|can i|could i|may i|should i|do i have to|how to|"
    r"what(?:'s| is) the (?:best|right|easiest|fastest) way to|"
    r"what (?:do|should|can|would) i do)\b(?P<rest>.*)$"
)
# Words between the opening and the verb ("how do I even set up", "how can I best price").
_ADVERBS = frozenset("even actually best properly quickly easily just really ever legally also still go about".split())


def personal_task(text: str) -> str | None:
    """The verb of a person's own task that ``text`` asks how to do ("write"), "do" for "what do I do", else None.

    None also when the verb asks for help the overview gives ("find", "hire", "choose").
    """
    lowered = re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()
    m = _OPENING.match(lowered)
    if m is None:
        return None
    if m.group("ask").endswith(" do"):
        return "do"
    words = [w for w in re.findall(r"[a-z0-9]+", m.group("rest")) if w not in _ADVERBS]
    if not words:
        return None
    verb = words[0]
    return None if verb in HELP_VERBS else verb


# What a price is counted per, and the names of a configuration's settings.
_UNIT = "seat|node|user|server|core|cpu|gb|tb|cku|instance|licen[cs]e|share"
_CONFIG = "config(?:uration)? (?:param|parameter|setting|option|key)"
_WHATS = r"^(?:.*\W)?(?:what's|whats|what is|what are)\s+"
_FIGURE = re.compile(
    _WHATS + r"(?:the|an?)\s+(?:\w+\s+){0,4}"
    r"(?:rates?|multiples?|ratios?|percentages?|benchmarks?|thresholds?|fines?|limitations?|deadlines?|salary|salaries)\b"
    r"|" + _WHATS + r"(?:an?|the)\s+(?:good|typical|normal|healthy|fair|reasonable|standard|average|usual)\b"
    r"(?!\s+(?:examples?|fit|fits|partner|partners|firm|firms|provider|providers|way|ways|place|start)\b)"
    r"|^how (?:much|many)\b(?!.*\bmatters?\b)"
    r"|\bhow (?:much|many)\b.*\b(?:expect|normal|typical|usual|standard|recommended|maximum"
    r"|minimum|max|min|ideal|optimal|limit)\b"
    r"|\btemplates?\b|\bwhat should (?:a|an|the|our|my) (?:\S+ ){0,3}?(?:say|include|contain)\b"
    r"|\bdifference between\b|\b(?:pick|choose|decide) between\b"
    r"|^when (?:is|are|do|does)\b.*\b(?:due|deadline)\b|\b(?:which|what) dates?\b.*\bdue\b|\bdue dates?\b"
    r"|\bhow (?:is|are|do|does|would|will) (?:\w+\s+){0,6}(?:calculated|computed|taxed)\b|\b(?:get|gets|be) taxed\b"
    # a figure asked for anywhere in a clause: "what corporate tax rate would we pay", "what fines apply",
    # "what does a subscription cost", "what revenue threshold triggers the master file"
    r"|\b(?:what|which|how much)\b[^.?!,;:()]{0,60}?\b(?:rates?|fees?|fines?|thresholds?|minimum|maximum|deadlines?|"
    r"multiples?|"
    r"percentages?|salary|salaries|penalty|penalties|costs?|score)\b(?! (?:center|centre|structure|model))"
    r"|\bwhat does\b[^.?!,;:]{0,60}\bcost\b"
    # a procedure: "the exact steps to get a classification number", "the full requirement list", "which documents"
    r"|\bexact steps\b|\bstep[- ]by[- ]step\b|\bwhat are the steps\b"
    r"|\b(?:exact|full|complete) (?:\S+ ){0,2}?(?:procedure|requirements? list|checklist)\b"
    r"|\b(?:which|what) (?:documents|paperwork|forms)\b"
    # a tax asked of a case ("what's the withholding tax on royalties", "is there a withholding tax", "how much vat")
    r"|\bwhat(?:'s| is) the (?:\S+ )?(?:tax|withholding|vat|gst|duty)\b(?! (?:compliance|strategy|planning|risk))"
    r"|\b(?:is|are) there (?:a|an|any) (?:\S+ )?(?:withholding|vat|gst|duty|levy|stamp duty)\b"
    r"|\bhow (?:much|many)\b[^.?!]{0,30}\b(?:vat|tax|gst|duty)\b"
    # a technical task of the company's own: "how do we configure vault", "how do we compute quota accelerators"
    r"|\bhow (?:do|can|should|would) we (?:configure|install|implement|compute|calculate|debug|rotate|fill out"
    r"|fill in|pick a name|name)\b"
    # a provider's prices compared: "is AWS cheaper than Google", "compare X vs Y pricing", "what do they charge"
    r"|\b(?:cheaper|more expensive|pricier) than\b|\bcompare\b.*\b(?:pricing|prices|price|costs?)\b"
    r"|\bwhat (?:do|does|would|will) (?:\S+ ){0,3}?charge\b"
    # a date, a case's recurring revenue, a grant's cliff: "when exactly did IBM close the deal", "Confluent's ARR"
    r"|\bwhen exactly\b|\bexact date\b|\b(?:annual|monthly) recurring revenue\b|\bcliffs?\b"
    # a price or how long something stays valid: "price of the CKA exam and how long is it valid"
    r"|\bprice (?:of|for)\b|\bhow long is (?:it|they|the \S+) valid\b"
    # a rule's obligation: "do past contributors need to sign off", "does lgpd require us to", "do I need a CLA"
    r"|\b(?:do|does) (?:\w+ ){1,3}(?:need|have) to "
    r"(?:sign|register|file|pay|publish|disclose|appoint|notify|report|collect|withhold|charge)\b"
    r"|\bdoes (?:\w+ ){1,3}require (?:us|me|a|an|the|every|all)\b|\bdo (?:i|we) need an? (?:cla|dco|permit|visa|dpo)\b"
    # a clause of a text: "which gdpr article", "which annex a control covers", "which config param"
    r"|\b(?:which|what) (?:\S+ ){0,4}?(?:article|annex|clause|module|param|parameter|" + _CONFIG + r")s?\b"
    r"|\bwhich (?:\S+ ){0,5}?control (?:covers|applies|maps)\b"
    # a price per unit, a fee, a score, a time limit
    r"|\b(?:price|prices|pricing|cost|costs|fee|fees|charges?)\b[^.?!;]{0,40}\bper (?:" + _UNIT + r"|month|year|hour)\b"
    r"|\bper[- ](?:" + _UNIT + r")\b[^.?!;]{0,20}\b(?:price|pricing|cost|fee)s?\b"
    r"|\bhourly rates?\b|\bpassing score\b|\bstatute of limitations?\b"
    r"|\b(?:tax|withholding|vat|gst|interest|exchange|royalty) rates?\b|\bwhat (?:%|percent|percentage)"
    r"|\b\d+(?:\.\d+)? ?(?:%|percent) of \d|\bwhat time is it\b|\bwhat(?:'s| is) the time\b|\btime of day\b"
    r"|\bin (?:minutes|hours|seconds|milliseconds)\b"
    # a fact about a case company or a provider: who founded or leads it, where its offices are, its revenue
    r"|\bwho (?:founded|started|created)\b|\bwho(?:'s| is| was) (?:the )?(?:ceo|cto|cfo|founder|founders|chairman|"
    r"president)\b|\b(?:have|has) (?:an? )?offices? in\b|\bheadquarter(?:s|ed)\b|\bwhere is (?:\S+ ){1,3}?based\b"
    r"|\bfiscal year\b|\btotal revenue\b"
    r"|\b(?:is it|is that|are they|is this) (?:like |about |around |roughly )?\d+(?:\.\d+)? ?(?:%|percent)"
    # a rule's reach: "without every contributor's consent", "does the cyber resilience act apply to", "how long
    # do we have to keep invoices"
    r"|\bwithout (?:\S+ ){0,3}?(?:consent|approval|permission)\b"
    r"|\bdoes (?:the )?(?:\S+ ){1,5}?(?:act|law|regulation|directive|rule|rules) apply\b"
    r"|\bhow long\b[^.?!]*\b(?:keep|retain|store)\b"
    r"|\b(?:annual|yearly|quarterly) revenue\b|\b(?:ipo|share|stock) price\b|\beccn\b|\bmarket cap(?:italization)?\b"
    r"|\b(?:on )?(?:what|which) (?:date|day)\b"
    r"|\bwhat (?:\S+ ){0,3}?figures?\b"
    r"|\bexactly how (?:much|many)\b|\bin (?:dollars|euros|usd|eur|rmb|yuan)\b|\b(?:in )?(?:what|which) year\b"
    # an error to fix: "fails with ORA-01555", "ERR_CONNECTION_RESET"
    r"|\bfails? with\b|\b[a-z]{2,5}-0\d{3,}\b|\berror (?:code )?\d{3,}\b"
    # a legal opinion: "is our CLA enforceable under German law"
    r"|\b(?:is|are) (?:\S+ ){0,4}?(?:enforceable|lawful|legally binding) (?:under|in)\b"
    # when a rule starts to apply: "when does auditor attestation kick in"
    r"|\bwhen (?:does|do|will) (?:\S+ ){0,6}?(?:kick in|take effect|start to apply)\b"
    # two figures to choose from: "10% or 15%?", "99.95 or 99.99", "5d002 or 5d992"
    r"|\b[a-z]*\d[\w.]*\s*%?\s+or\s+[a-z]*\d[\w.]*\s*%?"
    # the terms of a grant or a sales plan: "what strike price and cliff", "how many SDRs per account executive"
    r"|\b(?:strike|exercise) prices?\b|\bvesting cliffs?\b|\b(?:number|ratio) of (?:\S+ ){1,3}?(?:to|per) "
    # a translation: "translate 'good morning' into korean", "how do you say thank you in korean"
    r"|\btranslate\b.*\b(?:into|to)\b|\bhow (?:do|would|can) (?:you|i|we) say\b"
    # how long something takes, in weeks, days or hours
    r"|\bhow long (?:does|do|will|would|should) (?:\S+ ){0,8}?(?:take|last)\b|\bhow many (?:weeks|days|hours)\b"
    # a product's internals: "how does tikv decide when to split a region", "the default size", "max connections"
    r"|\bhow does (?:\S+ ){1,5}?(?:decide|handle|split|store|replicate|implement|schedule|balance|shard|index|"
    r"partition|parse|route|execute|compile|optimi[sz]e|persist|serialize|compress)\b"
    r"|\bhow (?:is|are|was|were) (?:\S+ ){1,5}?(?:architected|implemented|engineered)\b"
    r"|\b(?:which|what) (?:\S+ ){0,3}?(?:version|release)s? (?:introduced|added|removed|deprecated|shipped|has|had|"
    r"supports?|fixed)\b|\b(?:query )?optimi[sz]ers?\b|\bquery planners?\b"
    r"|\bunder the hood\b|\bdefault (?:size|value|port|setting|timeout)\b|\bmax(?:imum)? (?:connections|"
    r"throughput|partitions)\b|\b(?:partition|replica|shard|node|thread|connection) counts?\b"
)


# The same asks in Chinese: how to calculate or write something, a tax rate, a difference, a template, a deadline.
_FIGURE_ZH = re.compile(
    r"(?:怎么|如何|怎样)(?:计算|写)|(?:怎么|如何)算(?:$|[吗呢啊？?，,。.！!])|税率|区别(?!对待)|模板|截止日期|哪一年|哪年"
    r"|第几条|哪一条|哪条|多少(?:股份|股权|钱|比例|个|天|人民币|美元)|比例多少|版本号|哪个版本|最新版本"
    r"|(?:怎么|如何|怎样)(?:配置|部署|安装)|罚款(?:是)?多少|最高罚|(?:上限|下限)是多少"
)


# "whats" typed without its apostrophe is "what's".
_NO_APOSTROPHE = re.compile(r"\b(what|that|where|who|how)s\b")


def _as_typed(text: str) -> str:
    """``text`` lowercased, its spaces and apostrophes made one kind, "whats" read as "what's"."""
    return _NO_APOSTROPHE.sub(r"\1's", re.sub(r"\s+", " ", text.lower().replace("’", "'")))


def asks_for_figure(text: str) -> bool:
    """True for a question after a rate, a benchmark, a norm, a definition or a template ("what's a good burn
    multiple", "template for an employee handbook", "LTV 怎么计算")."""
    return _FIGURE.search(_as_typed(text)) is not None or _FIGURE_ZH.search(text) is not None
