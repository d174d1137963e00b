"""Stop words and a synonym lexicon for how people ask in chat.

Synonyms map a word (or two-word phrase) of a question to words the
knowledge uses; they are expanded at a lower weight than the question's own
words, so they help recall without drowning an exact match.
"""

from __future__ import annotations

__all__ = ["STOPWORDS", "SYNONYMS"]

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he her here hers herself him
    himself his how i i'm if in into is isn't it it's its itself let's me more most my myself no nor not of
    off on once only or other ought our ours ourselves out over own same she should shouldn't so some such
    than that that's the their theirs them themselves then there there's these they this those through to
    too under until up very was wasn't we we're were weren't what what's when where which while who whom why
    with won't would wouldn't you your yours yourself yourselves us
    please need needs want wants wanted like looking look help helps anyone someone somebody something
    tell show give find get got getting know any recommend recommended suggest suggestion suggestions
    good best great right way ways thing things kind sort lot lots really just also still even
    question questions ask asking advice idea ideas hey hi hello thanks thank maybe might may must
    cos service services risk risks company companies firm firms which whose us ours one ones
    """.split()
) - {"it", "us"}  # kept as words only where they carry meaning below

# word or phrase -> words the knowledge uses for the same thing
SYNONYMS: dict[str, tuple[str, ...]] = {
    # people and hiring
    "hire": ("recruitment", "recruit", "talent", "search"),
    "hiring": ("recruitment", "recruit", "talent"),
    "recruiting": ("recruitment", "talent"),
    "recruiter": ("recruitment", "talent search"),
    "recruiters": ("recruitment", "talent search"),
    "headhunter": ("executive search",),
    "headhunters": ("executive search",),
    "headhunting": ("executive search",),
    "ceo": ("executive", "c-level", "ceo search"),
    "cto": ("executive", "c-level", "technical vp"),
    "cfo": ("executive", "c-level"),
    "coo": ("executive", "c-level"),
    "cro": ("executive", "c-level"),
    "vp": ("executive", "technical vp"),
    "executive": ("c-level",),
    "staff": ("talent", "team"),
    "employees": ("employee", "talent"),
    "engineers": ("talent", "employee"),
    "career": ("career development", "talent development"),
    "careers": ("career development", "talent development"),
    "stock": ("equity", "stock option"),
    "options": ("stock option",),
    "esop": ("equity incentive", "stock option"),
    "vesting": ("equity incentive", "stock option"),
    "org": ("organizational",),
    "reorg": ("organizational design",),
    # money and business
    "cash": ("cash flow", "financial"),
    "money": ("financial", "cash flow", "revenue"),
    "runway": ("cash flow", "financial"),
    "burn": ("cash flow", "financial"),
    "margins": ("profitability", "financial"),
    "margin": ("profitability", "financial"),
    "profit": ("profitability",),
    "profitable": ("profitability",),
    "revenue": ("revenue",),
    "pricing": ("pricing strategy", "revenue model"),
    "price": ("pricing strategy",),
    "charge": ("fees", "revenue"),
    "monetize": ("business model", "revenue"),
    "monetise": ("business model", "revenue"),
    "monetization": ("business model commercialization",),
    "commercialize": ("commercialization",),
    "commercialise": ("commercialization",),
    "subscription": ("subscription",),
    "licensing": ("license",),
    "licence": ("license",),
    "hosted": ("managed cloud",),
    "hosting": ("managed cloud",),
    "churn": ("customer success", "retention"),
    "churning": ("customer success", "retention"),
    "retention": ("customer success",),
    "renewals": ("customer success", "retention"),
    "buy": ("acquire", "acquisition"),
    "buying": ("acquire", "acquisition"),
    "purchase": ("acquire", "acquisition"),
    "acquire": ("acquisition",),
    "merger": ("m&a", "merger"),
    "invest": ("investment",),
    "competitor": ("competition", "competitive"),
    "competitors": ("competition", "competitive"),
    "rival": ("competition", "competitive"),
    "rivals": ("competition", "competitive"),
    "research": ("analysis",),
    "forecast": ("prediction", "trend"),
    "predict": ("prediction",),
    "analytics": ("analysis",),
    "country": ("geographic", "international", "regional"),
    "countries": ("geographic", "international", "regional"),
    "abroad": ("international", "geographic"),
    "overseas": ("international", "geographic"),
    "global": ("international",),
    "europe": ("regional", "international"),
    "asia": ("regional", "international"),
    # legal
    "lawyer": ("legal", "law firm"),
    "lawyers": ("legal", "law firm"),
    "attorney": ("legal", "law firm"),
    "attorneys": ("legal", "law firm"),
    "counsel": ("legal",),
    "law": ("legal",),
    "contract": ("commercial contract",),
    "contracts": ("commercial contract",),
    "agreement": ("contract",),
    "agreements": ("contract",),
    "patent": ("intellectual property",),
    "patents": ("intellectual property",),
    "trademark": ("intellectual property",),
    "trademarks": ("intellectual property",),
    "ip": ("intellectual property",),
    "privacy": ("data protection",),
    "personal data": ("data protection",),
    "sanctions": ("export control",),
    "embargo": ("export control",),
    "tariffs": ("trade control",),
    "taxes": ("tax",),
    "taxation": ("tax",),
    "monopoly": ("antitrust",),
    "regulator": ("regulatory",),
    "regulators": ("regulatory",),
    "regulation": ("regulatory",),
    "regulations": ("regulatory",),
    # technical
    "faster": ("performance",),
    "slow": ("performance",),
    "latency": ("performance",),
    "speed": ("performance",),
    "scale": ("scalable", "large-scale"),
    "scaling": ("scalable", "large-scale"),
    "uptime": ("availability", "operational support"),
    "outage": ("operational support", "24x7"),
    "outages": ("operational support", "24x7"),
    "oncall": ("24x7",),
    "helpdesk": ("technical support",),
    "support desk": ("technical support", "24x7"),
    "never sleeps": ("24x7", "round-the-clock"),
    "night": ("24x7", "round-the-clock"),
    "weekend": ("24x7", "round-the-clock"),
    "cloud": ("cloud",),
    "kubernetes": ("cloud platform",),
    "aws": ("cloud",),
    "azure": ("cloud",),
    "gcp": ("google cloud",),
    "security": ("security",),
    "audit": ("audit",),
    "auditor": ("audit",),
    "pentest": ("security",),
    "migrate": ("migration",),
    "integrate": ("integration",),
    # training and policy
    "course": ("educational content", "training"),
    "courses": ("educational content", "training"),
    "curriculum": ("educational content",),
    "teach": ("training", "trainer"),
    "teaching": ("training",),
    "learn": ("learning", "training"),
    "exam": ("certification",),
    "certify": ("certification",),
    "lobby": ("policy advocacy",),
    "lobbying": ("policy advocacy",),
    "government": ("government relations", "policy"),
    "press": ("public relations",),
    "media": ("public relations",),
    "pr": ("public relations",),
    "esg": ("social responsibility",),
    "sustainability": ("esg", "social responsibility"),
    "standard": ("standards",),
    # path
    "ipo": ("ipo exit",),
    "exit": ("ipo acquisition exit",),
    "startup": ("early",),
    "beginning": ("early",),
    "mature": ("maturity",),
    "leader": ("leadership",),
}
