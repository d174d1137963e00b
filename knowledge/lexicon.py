"""Stop words and a synonym lexicon for how people ask in chat.

Synonyms map a word (or two-word phrase) of a question to words the
knowledge uses; they are expanded at a lower weight than the question's own
words, so they help recall without drowning an exact match.
"""

from __future__ import annotations

__all__ = [
    "CARRIED_BY_SYNONYMS",
    "CHATTER",
    "CITIES",
    "COMMON_WORDS",
    "FRAME_WORDS",
    "GROUP_HINTS",
    "STOPWORDS",
    "SYNONYMS",
]

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing done don't down
    during each few for from further had hadn't has hasn't have haven't having he her here hers herself him
    himself his how i i'm if in into is isn't it it's its itself let's me more most my myself no nor not of
    off on once only or other ought our ours ourselves out over own same she should shouldn't so some such
    than that that's the their theirs them themselves then there there's these they this those through to
    too under until up very was wasn't we we're were weren't what what's when where which while who whom why
    with won't would wouldn't you your yours yourself yourselves us
    please need want wants wanted like looking look help helps anyone someone somebody something
    tell show give find get got getting know any recommend recommended recommends suggest suggested suggests
    suggestion suggestions
    good best great right way ways thing things kind sort lot lots really just also still even
    question questions ask asking advice idea ideas hey hi hello thanks thank maybe might may must
    cos service services company companies which whose us ours one ones
    actually sure now whole around usually basically currently literally totally probably perhaps
    already ever yet able go going goes gonna wanna etc okay ok anyway anyhow somehow currently
    """.split()
) - {"it", "us"}  # kept as words only where they carry meaning below

# Words of chat that say how the asker feels or fill the sentence, never what is asked ("kinda worried tbh"):
# search keeps them, the answer-or-abstain decision does not weigh them.
CHATTER = frozenset(
    """
    lol lmao rofl haha hah tbh imo imho btw fyi afaik iirc hmm hm hmmm ugh meh welp oops yeah yep yup nah nope ok okay
    kinda sorta gotta gonna wanna dunno tho though anyways honestly seriously frankly truthfully obviously clearly
    folks guys yall y'all everybody everyone anybody stuff bit pretty super quite rather fairly somewhat
    worried worry worrying nervous scared afraid anxious curious wondering wonder confused concerned unsure
    feel feels feeling felt think thinking thought guess hoping hope wish trying try tried figure figuring
    theyll theyre theyve youre youve youll weve well ill ive im id hes shes thats whats hows wheres whos whens
    dont doesnt didnt cant wont isnt arent wasnt werent havent hasnt hadnt wouldnt shouldnt couldnt lets its
    right now today tomorrow yesterday lately recently soon week weeks month months year years day days ago anymore
    again already still yet ever never always sometimes often
    wed youd theyd hed shed itll rn idk ngl tbf pls plz thx smh exactly sorry whether scratch rite couple wise usual
    anything everything something nothing somehow anyway quarter quarters zero dozen hundred thousand plus
    say says said saying told telling actual real typically generally normally commonly
    consist consists involve involves entail entails comprise comprises
    hate hates love loves scary brutal terrible awful nice freaking legit vibes bunch asap eventually none happened
    proper context ton tons af mad angry upset annoyed frustrated outright
    """.split()
)

# Words that frame what is asked, never what it is about ("what are the main categories of business risk", "which
# firm appears among the recommended providers", "to what extent"): the answer-or-abstain decision does not weigh
# them either.
FRAME_WORDS = frozenset(
    """
    main categories kinds types listed list lists appear appears among exist exists arise arises face faces apply
    applies according extent specifically particularly aim matter matters relate relates regarding concerning
    considered described mentioned covered available possible relevant count counts named fits
    """.split()
)

# Everyday words that typo repair must leave alone even though the knowledge
# never uses them (otherwise "stop" becomes "top" and "sure" becomes "sre").
COMMON_WORDS = frozenset(
    """
    stop sure make made makes actually always never every everything nothing anything ever keep kept
    told tell said says say went going goes come comes came take takes took taken give gave given
    same fine well much many most less least more enough whole half both either neither else
    able about above across after again ahead almost alone along already also although among
    around away back became become becomes before begin began behind being believe below beside
    best better between beyond big bigger biggest body bring brought build built busy call called
    came care carry case cases cause change changed check close come coming cost costs could
    count couple cover current cut daily deal dear deep does done door down each early easy
    either else end ends enough even ever every fact fail fall false far fast feel felt few
    fill final find fine five four free from front full gets given glad goal goals gone good
    great grow grown half hand hands hard have head hear heard held here high hold home hope
    huge idea into just keep kind knew know known large last late later lead least left less
    life light like line list little live long look looks lose lost love main make many mean
    means meet mind miss more most move much must name near need next nice none note okay once
    only open over part past pick place plan play plus point poor pull push quite rate rather
    read real rest rich ride rise risk road room rule runs safe said sale same save seem seen
    self sell send sent set shop short show shut side sign site size slow small some soon sort
    spend spent star start stay step still such sure take talk tall team tell term test than
    that them then they thin this thus till time told took tool tops true turn type unit upon
    used user uses very view wait walk wall want warm week well went were what when whom wide
    will wish with word work year yet zero
    """.split()
)

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
    "ae": ("sales", "sales team"),
    "aes": ("sales", "sales team"),
    "sdr": ("sales", "sales team"),
    "sdrs": ("sales", "sales team"),
    "market is going": ("market trend", "trend prediction"),
    "market is heading": ("market trend", "trend prediction"),
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
    "on call": ("24x7",),
    "helpdesk": ("technical support",),
    "support desk": ("technical support", "24x7"),
    "never sleeps": ("24x7", "round-the-clock"),
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
    "beta": ("maturity", "stability"),
    "leader": ("leadership",),
}

# How people talk about the same things in chat, beyond the core list above.
_MORE: dict[str, tuple[str, ...]] = {
    # clients, buyers, market players
    "client": ("customer",),
    "clients": ("customer",),
    "buyer": ("customer",),
    "buyers": ("customer",),
    "users": ("customer", "developer"),
    "accounts": ("customer",),
    "enterprises": ("enterprise", "large enterprises"),
    "corporations": ("enterprise", "large enterprises"),
    "corporates": ("enterprise", "large enterprises"),
    "giant": ("large enterprises",),
    "giants": ("large enterprises",),
    "banks": ("large enterprises", "institutions", "financial services"),
    "bank": ("large enterprises", "institutions", "financial services"),
    "fortune": ("large enterprises", "enterprise"),
    "agencies": ("institutions",),
    "premium": ("high-value", "paid premium"),
    "smb": ("sme",),
    "smbs": ("sme",),
    "smaller": ("sme",),
    "mid-market": ("sme",),
    "player": ("company", "leading"),
    "players": ("company", "leading"),
    "segment": ("niche", "segmentation"),
    "segments": ("niche", "segmentation"),
    "niche": ("niche markets",),
    "vendors": ("partners", "vendor"),
    "suppliers": ("partners",),
    "web": ("ecosystem",),
    "network": ("ecosystem", "partner network"),
    "clone": ("competition", "competitor"),
    "copy": ("competition", "competitor"),
    "copied": ("competition", "competitor"),
    "fork": ("competition", "competitor"),
    "forked": ("competition", "competitor"),
    "undercut": ("competition", "price"),
    # value and success
    "value": ("value realization", "value proposition"),
    "get value": ("value realization", "customer success"),
    "onboarding": ("customer success", "implementation"),
    "onboard": ("customer success", "implementation"),
    "adoption": ("customer success", "adoption"),
    "happy": ("customer success", "satisfaction"),
    "unhappy": ("customer success", "churn"),
    "leaving": ("churn", "customer success"),
    "cancel": ("churn", "customer success"),
    "pays for itself": ("roi",),
    "payback": ("roi", "return on investment"),
    "return": ("roi", "return on investment"),
    "worth": ("roi", "value"),
    "justify": ("roi", "value proposition"),
    "win": ("success", "success factors"),
    "winning": ("success", "success factors"),
    "succeed": ("success", "success factors"),
    "successful": ("success",),
    "thrive": ("success", "success factors"),
    "examples": ("cases", "success cases"),
    "example": ("cases", "success cases"),
    "precedents": ("cases",),
    "went public": ("ipo",),
    "go public": ("ipo",),
    "going public": ("ipo",),
    "goes public": ("ipo",),
    "gone public": ("ipo",),
    "take public": ("ipo",),
    "taking public": ("ipo",),
    "sell the company": ("acquisition exit",),
    "selling the company": ("acquisition exit",),
    "sell our company": ("acquisition exit",),
    "selling our company": ("acquisition exit",),
    "get acquired": ("acquisition exit",),
    "getting acquired": ("acquisition exit",),
    "listed": ("ipo",),
    # money
    "diversify": ("diversified", "diversification"),
    "spread": ("diversified", "diversification"),
    "spread out": ("diversified", "diversification"),
    "streams": ("revenue sources",),
    "income": ("revenue",),
    "comes from": ("revenue sources",),
    "money comes": ("revenue sources",),
    "bill": ("fees", "charge"),
    "billing": ("fees", "charge"),
    "invoice": ("fees",),
    "fee": ("fees",),
    "paid": ("paid", "fees"),
    "earn": ("revenue",),
    "sell": ("sales",),
    "selling": ("sales",),
    "salespeople": ("sales team",),
    "reps": ("sales team",),
    "quota": ("sales team",),
    "account executives": ("sales team",),
    "priced": ("pricing strategy",),
    "prices": ("pricing strategy",),
    "cost": ("pricing", "cost"),
    "expensive": ("pricing", "price"),
    "cheap": ("pricing", "price"),
    "freemium": ("free", "developer"),
    "free tier": ("freemium",),
    "paywall": ("paid", "pricing strategy"),
    "funding": ("investment", "financial"),
    "investors": ("investment", "financial"),
    "vc": ("investment",),
    "bankrupt": ("cash flow", "financial"),
    "losing money": ("profitability", "cash flow"),
    "unprofitable": ("profitability",),
    "break even": ("profitability",),
    "expenses": ("internal control", "financial"),
    "expense": ("internal control", "financial"),
    "spending": ("internal control", "financial"),
    "approve": ("internal control", "approval"),
    "approving": ("internal control", "approval"),
    "approvals": ("internal control", "approval"),
    "fraud": ("internal control", "audit"),
    "embezzlement": ("internal control", "audit"),
    "segregation": ("internal control",),
    "books": ("audit", "financial"),
    "accounting": ("audit", "financial"),
    "accountants": ("audit",),
    "equity": ("equity",),
    "slice": ("equity", "stake"),
    "stake": ("equity",),
    "shares": ("equity", "stock option"),
    "ownership": ("equity",),
    "rsu": ("equity", "stock option"),
    "rsus": ("equity", "stock option"),
    # acquisitions
    "buy up": ("acquire", "acquisition"),
    "snap": ("acquire",),
    "takeover": ("acquisition", "m&a"),
    "acquihire": ("acquire talent teams", "technology acquisition"),
    "acqui-hire": ("acquire talent teams", "technology acquisition"),
    "deal": ("m&a", "transaction"),
    "due diligence": ("m&a", "due diligence"),
    # hiring and people
    "founders": ("leadership", "founder"),
    "founder": ("leadership",),
    "hacker": ("technical", "open source"),
    "hackers": ("technical", "open source"),
    "credentials": ("experience",),
    "background": ("experience",),
    "managers": ("management",),
    "execute": ("execution",),
    "execution": ("execution",),
    "follow through": ("execution", "implementation"),
    "deliver": ("execution",),
    "plans": ("strategic", "plan"),
    "in-house": ("internal", "team"),
    "in house": ("internal", "team"),
    "inhouse": ("internal", "team"),
    "campaigns": ("marketing",),
    "campaign": ("marketing",),
    "marketers": ("marketing",),
    "advertising": ("marketing",),
    "ads": ("marketing",),
    "brand": ("brand", "marketing"),
    "board members": ("board", "board search"),
    "board member": ("board", "board search"),
    "directors": ("board", "board search"),
    "culture": ("culture",),
    "burnout": ("talent",),
    "poach": ("talent", "recruitment"),
    "poached": ("talent", "recruitment"),
    "quit": ("talent", "retention"),
    "quitting": ("talent", "retention"),
    "mentor": ("talent development", "training"),
    "mentoring": ("talent development", "training"),
    "upskill": ("training", "talent development"),
    "onboarding engineers": ("talent development",),
    # technical
    "crawl": ("performance", "slow"),
    "sluggish": ("performance",),
    "lag": ("performance",),
    "laggy": ("performance",),
    "bottleneck": ("performance",),
    "bottlenecks": ("performance",),
    "tuning": ("performance tuning",),
    "billions": ("large-scale", "scalability"),
    "millions": ("large-scale", "scalability"),
    "rows": ("large-scale",),
    "queries": ("performance",),
    "load": ("performance", "large-scale"),
    "traffic": ("performance", "large-scale"),
    "bug": ("technical support",),
    "bugs": ("technical support",),
    "incident": ("technical support", "24x7"),
    "incidents": ("technical support", "24x7"),
    "urgent": ("24x7", "technical support"),
    "emergency": ("24x7", "technical support"),
    "pager": ("24x7",),
    "around the clock": ("24x7", "round-the-clock"),
    # Times of day and week count for round-the-clock support only in a phrase that says so ("at 3am", "nights
    # and weekends"): alone they are the asker's plans ("hiking at the weekend").
    "at night": ("24x7", "round-the-clock"),
    "middle of the night": ("24x7", "round-the-clock"),
    "night shift": ("24x7", "round-the-clock"),
    "nights and weekends": ("24x7", "round-the-clock"),
    "on weekends": ("24x7", "round-the-clock"),
    "over the weekend": ("24x7", "round-the-clock"),
    "on the weekend": ("24x7", "round-the-clock"),
    "at the weekend": ("24x7", "round-the-clock"),
    "weekend support": ("24x7", "round-the-clock"),
    "weekend coverage": ("24x7", "round-the-clock"),
    "at 2am": ("24x7", "round-the-clock"),
    "at 3am": ("24x7", "round-the-clock"),
    "at 4am": ("24x7", "round-the-clock"),
    "at midnight": ("24x7", "round-the-clock"),
    "overnight support": ("24x7", "round-the-clock"),
    "on holidays": ("24x7", "round-the-clock"),
    "asleep": ("time zones", "multi-timezone"),
    "we sleep": ("time zones", "multi-timezone"),
    "team sleeps": ("time zones", "multi-timezone"),
    "sleeping": ("time zones", "multi-timezone"),
    "offline": ("time zones", "24x7"),
    "timezone": ("multi-timezone",),
    "hours": ("time zones", "24x7"),
    "business hours": ("time zones", "multi-timezone"),
    "sla": ("sla",),
    "guarantee": ("sla", "service level"),
    "guarantees": ("sla", "service level"),
    "response time": ("sla",),
    "penalty": ("sla",),
    "database as a service": ("managed cloud", "cloud service"),
    "asaservice": ("managed cloud", "cloud service"),
    "dbaas": ("managed cloud", "cloud service"),
    "managed": ("managed cloud",),
    "hosted version": ("managed cloud", "cloud service"),
    "on-prem": ("onprem",),
    "hybrid": ("hybrid cloud",),
    "multicloud": ("multi-cloud",),
    "marketplace": ("cloud service providers", "marketplace"),
    "gcp": ("google cloud",),
    "upgrade": ("migration",),
    "upgrading": ("migration",),
    "legacy": ("migration",),
    "switch": ("migration",),
    "switching": ("migration",),
    "move": ("migration",),
    "plugin": ("custom development", "integration"),
    "connectors": ("integration",),
    "feature": ("custom development",),
    "features": ("custom development",),
    "hacked": ("security",),
    "breach": ("security", "data protection"),
    "vulnerability": ("security",),
    "vulnerabilities": ("security",),
    "certified": ("certification",),
    "pen test": ("security",),
    "pentesting": ("security",),
    "architect": ("architecture",),
    "redundancy": ("highly available",),
    "failover": ("highly available",),
    "downtime": ("availability", "operational support"),
    "monitoring": ("operational support", "operations"),
    "ops": ("operations",),
    "devops": ("operations",),
    "sre": ("operations",),
    # training and certification
    "exam": ("certification",),
    "exams": ("certification",),
    "cka": ("certification",),
    "badge": ("certification",),
    "badges": ("certification",),
    "credential": ("certification",),
    "tutorials": ("educational content", "training"),
    "workshops": ("training",),
    "workshop": ("training",),
    "bootcamp": ("training",),
    "mooc": ("online learning",),
    "elearning": ("online learning",),
    "e-learning": ("online learning",),
    "instructors": ("trainer",),
    "instructor": ("trainer",),
    "teachers": ("trainer",),
    "create": ("build", "building", "development"),
    "launch": ("build", "launch"),
    "set up": ("build", "establish"),
    "setup": ("build", "establish"),
    "start": ("build", "establish"),
    # standards, policy, public affairs
    "specs": ("standards", "specification"),
    "spec": ("standards", "specification"),
    "specification": ("standards",),
    "specifications": ("standards",),
    "shape": ("influence",),
    "steer": ("influence",),
    "influence": ("influence",),
    "ietf": ("standards", "standardization"),
    "w3c": ("standards", "standardization"),
    "ieee": ("standards", "standardization"),
    "ecma": ("standards", "standardization"),
    "etsi": ("standards", "standardization"),
    "oasis": ("standards", "standardization"),
    "iso": ("standards", "standardization"),
    "rfc": ("standards",),
    "working group": ("standards", "standardization"),
    "working groups": ("standards", "standardization"),
    "committee": ("standards", "alliance"),
    "foundation": ("alliance", "industry organizations"),
    "foundations": ("alliance", "industry organizations"),
    "cncf": ("industry alliance", "foundation"),
    "consortium": ("industry alliance",),
    "association": ("industry associations",),
    "legislation": ("policy", "regulation"),
    "legislators": ("policy", "government"),
    "lawmakers": ("policy", "government"),
    "policymakers": ("policy", "government"),
    "parliament": ("policy", "government"),
    "congress": ("policy", "government"),
    "act": ("regulation", "policy"),
    "consultation": ("policy advocacy",),
    "cyber resilience": ("regulation", "policy"),
    "cra": ("regulation", "policy advocacy"),
    "journalists": ("public relations", "media"),
    "reporters": ("public relations", "media"),
    "reputation": ("public relations", "brand"),
    "charity": ("social responsibility",),
    "nonprofit": ("social responsibility",),
    "climate": ("esg", "social responsibility"),
    "carbon": ("esg", "social responsibility"),
    "diversity": ("esg", "social responsibility"),
    "community": ("open source", "community"),
    "devrel": ("developer relations", "developer ecosystem", "community"),
    "developer relations": ("developer ecosystem", "community"),
    "angering": ("balance", "open source"),
    "upset": ("balance", "open source"),
    "backlash": ("balance", "open source"),
    # consultancies and firms
    "consultants": ("consulting",),
    "consultancy": ("consulting",),
    "consultancies": ("consulting",),
    "advisors": ("consulting",),
    "advisers": ("consulting",),
    "deloitte": ("consulting", "strategy consulting"),
    "wyman": ("strategy consulting",),
    "oliver wyman": ("strategy consulting",),
    "kpmg": ("consulting",),
    "pwc": ("consulting",),
    "roland berger": ("strategy consulting",),
    "big four": ("consulting", "audit"),
    "law firm": ("law firm", "legal"),
    "firm": ("firm",),
    # legal and compliance
    "offices": ("international", "multinational"),
    "subsidiary": ("international", "multinational"),
    "subsidiaries": ("international", "multinational"),
    "entity": ("multinational", "international"),
    "entities": ("multinational", "international"),
    "jurisdictions": ("international", "countries"),
    "jurisdiction": ("international", "countries"),
    "crossborder": ("international", "cross-border"),
    "gdpr": ("gdpr", "data protection"),
    "ccpa": ("ccpa", "data protection"),
    "hipaa": ("data protection",),
    "pii": ("data protection", "personal data"),
    "cookies": ("data protection",),
    "fines": ("fines", "penalties"),
    "fined": ("fines", "penalties"),
    "sued": ("lawsuits", "legal"),
    "sue": ("lawsuits", "legal"),
    "lawsuit": ("lawsuits", "legal"),
    "infringe": ("intellectual property",),
    "infringement": ("intellectual property",),
    "copyright": ("intellectual property",),
    "license": ("license",),
    "gpl": ("license",),
    "agpl": ("license",),
    "nda": ("contract",),
    "msa": ("contract",),
    "terms": ("contract",),
    "negotiate": ("negotiation", "contract"),
    "negotiating": ("negotiation", "contract"),
    "export": ("export control",),
    "encryption": ("export control",),
    "vat": ("tax",),
    "transfer pricing": ("tax", "transfer pricing"),
    "dominant": ("antitrust",),
    "cartel": ("antitrust",),
    "collusion": ("antitrust",),
    "anticompetitive": ("antitrust",),
    "anti competitive": ("antitrust",),
    "bundling": ("antitrust",),
    "reseller": ("channel partners", "channel"),
    # geography
    "latam": ("latin america", "geographic", "international", "regional"),
    "latin": ("geographic", "international", "regional"),
    "emea": ("geographic", "international", "regional", "europe"),
    "apac": ("geographic", "international", "regional", "asia"),
    "americas": ("geographic", "international", "regional"),
    "africa": ("geographic", "international", "regional"),
    "middle east": ("geographic", "international", "regional"),
    "nordics": ("geographic", "international", "regional"),
    "continents": ("global", "regions", "international"),
    "continent": ("global", "regions", "international"),
    "regions": ("regional", "regions"),
    "region": ("regional", "regions"),
    "worldwide": ("global", "international"),
    "international": ("international", "global"),
    "foreign": ("international", "geographic"),
    "expand": ("expansion",),
    "expanding": ("expansion",),
    "enter": ("expansion", "new markets"),
    "entering": ("expansion", "new markets"),
    "language": ("localized", "local language"),
    "languages": ("localized", "local language"),
    "translate": ("localization",),
    "translation": ("localization",),
    "etiquette": ("culture", "cultural"),
    "customs": ("culture", "cultural"),
    # time and stage
    "phase": ("stage", "phase"),
    "level": ("stage",),
    "reached": ("stage",),
    "signs": ("characteristics",),
    "traits": ("characteristics",),
    "hallmarks": ("characteristics",),
    "milestones": ("milestones", "development path"),
    "roadmap": ("development path", "roadmap"),
    "decade": ("leadership",),
    "later": ("maturity",),
    "factors": ("success factors",),
    "ingredients": ("success factors",),
    "secret": ("success factors",),
}

_MORE.update(
    {
        "servers": ("deployment", "data centers"),
        "server": ("deployment", "data centers"),
        "datacenter": ("data centers", "deployment", "regions"),
        "datacenters": ("data centers", "deployment", "regions"),
        "data center": ("data centers", "deployment", "regions"),
        "data centers": ("data centers", "deployment", "regions"),
        "monthly": ("subscription",),
        "month": ("subscription",),
        "annual": ("subscription",),
        "annually": ("subscription",),
        "yearly": ("subscription",),
        "recurring": ("subscription",),
        "arr": ("subscription", "revenue"),
        "mrr": ("subscription", "revenue"),
        "renewal": ("subscription", "customer success"),
        "fair": ("reasonable",),
        "fairly": ("reasonable",),
        "edition": ("open core", "paid premium"),
        "editions": ("open core", "paid premium"),
        "tiers": ("pricing strategy", "packages"),
        "tier": ("pricing strategy", "packages"),
    }
)

# Chat shorthand of founders and sales teams for what the overview names.
_MORE.update(
    {
        "skill": ("talent development", "training"),
        "skills": ("talent development", "training"),
        "upskilling": ("training", "talent development"),
        "advisory": ("consulting",),
        "advisor": ("consulting",),
        "adviser": ("consulting",),
        "earning": ("revenue",),
        # the ways money comes in are the revenue models ("what ways of earning money are open to us")
        "make money": ("revenue models", "revenue"),
        "making money": ("revenue models", "revenue"),
        "earn money": ("revenue models", "revenue"),
        "earning money": ("revenue models", "revenue"),
        "bring in money": ("revenue models", "revenue"),
        "bring in revenue": ("revenue models", "revenue"),
        "earning revenue": ("revenue models", "revenue"),
        "earn revenue": ("revenue models", "revenue"),
        # a plan made and never carried out is execution ("great strategy decks, nothing ever ships")
        "decks": ("strategy", "planning"),
        "deck": ("strategy", "planning"),
        "ships": ("execution", "delivery"),
        "ship on": ("execution",),
        "never ship": ("execution",),
        "nothing happens": ("execution",),
        # what a customer gets for the price is the value proposition and its ROI
        "for their money": ("value proposition", "roi"),
        "for our money": ("value proposition", "roi"),
        "money's worth": ("value proposition", "roi"),
        "moneys worth": ("value proposition", "roi"),
        "value for money": ("value proposition", "roi"),
        # companies that became large are the success cases
        "made it big": ("success cases", "successful"),
        "got big": ("success cases", "successful"),
        "non-chinese": ("international",),
        "outside china": ("international",),
        # a cloud vendor's consulting arm is its professional services
        "consulting arm": ("professional services",),
        "consulting arms": ("professional services",),
        "services arm": ("professional services",),
        "services arms": ("professional services",),
        "hyperscaler": ("cloud service providers", "aws", "azure", "google cloud"),
        "hyperscalers": ("cloud service providers", "aws", "azure", "google cloud"),
        # gathering what others do is intelligence; how users behave is their behavior
        "gathers information": ("intelligence",),
        "gather information": ("intelligence",),
        "gathering information": ("intelligence",),
        "behave": ("behavior",),
        "behaves": ("behavior",),
        # what a company risks in law by operating abroad
        "legal exposure": ("legal risk",),
        "across borders": ("international", "cross-border"),
        # having a say in rules being written is policy advocacy
        "push back": ("policy advocacy", "influence"),
        "have a say": ("policy advocacy", "influence"),
        "ministry": ("government", "government affairs"),
        "ministries": ("government", "government affairs"),
        "keep tabs on": ("monitoring", "competitive intelligence"),
        # a technical bet that may not last is technology risk
        "dead end": ("technology risk", "obsolete"),
        "wrong storage engine": ("technology risk",),
        "storage engine": ("technology", "architecture"),
        "earnings": ("revenue",),
        "heart of": ("core",),
        "logo": ("customer",),
        "logos": ("customer",),
        "tam": ("market sizing", "market analysis"),
        "sam": ("market sizing", "market analysis"),
        "som": ("market sizing", "market analysis"),
        "up against": ("competitors", "competitive landscape"),
        "brussels": ("eu", "regulation", "policy"),
        "embed": ("oem", "license fees"),
        "appliance": ("oem", "license fees"),
        "appliances": ("oem", "license fees"),
        "white label": ("oem", "license fees"),
        "white-label": ("oem", "license fees"),
        "redistribute": ("oem", "license fees"),
        "embedding": ("oem", "license fees"),
    }
)

_COUNTRIES = """
    usa america american canada canadian mexico mexican brazil brazilian argentina chile chilean colombia
    peru uk britain british england english ireland irish germany german france french spain spanish
    italy italian netherlands dutch belgium switzerland swiss sweden swedish norway denmark finland
    poland polish austria portugal greece turkey russia ukraine israel uae dubai saudi qatar egypt
    nigeria kenya india indian pakistan china chinese japan japanese korea korean taiwan singapore
    malaysia indonesia vietnam thailand philippines australia australian zealand
""".split()
# Cities a team names for where its customers or staff are ("customers in tokyo, berlin and sf"): read as places in
# search, but the answer-or-abstain decision does not weigh them (a question about a city's weather or trails is
# no more the overview's for naming the city).
CITIES = frozenset(
    [
        *"""
    tokyo osaka berlin munich frankfurt hamburg london paris amsterdam dublin stockholm madrid barcelona milan zurich
    seoul shanghai beijing shenzhen hangzhou guangzhou bangalore bengaluru mumbai delhi hyderabad sydney melbourne
    toronto vancouver montreal seattle boston austin nyc sf chicago jakarta manila bangkok
    """.split(),
        "bay area",
        "new york",
        "san francisco",
        "hong kong",
        "sao paulo",
        "tel aviv",
    ]
)
_COUNTRIES += sorted(CITIES)
_MORE.update(
    {
        "rules": ("compliance", "regulations"),
        "follows": ("compliance",),
        "obey": ("compliance",),
        "comply": ("compliance",),
        "compliant": ("compliance",),
        "usage": ("behavior", "usage"),
        "touch": ("usage", "behavior"),
        "telemetry": ("behavior", "usage"),
        "small segment": ("niche markets",),
        "small niche": ("niche markets",),
        "vendor": ("partners", "vendor"),
    }
)
_LANGUAGES = """
    spanish portuguese french german japanese chinese mandarin korean italian dutch arabic hindi
    russian turkish polish swedish vietnamese thai indonesian
""".split()
for _l in _LANGUAGES:
    _MORE[_l] = ("geographic", "international", "regional", "local language", "localized")

_REGIONS = """
    latam latin emea apac americas africa nordics europe european asia asian continents continent
    worldwide foreign
""".split()
for _c in _COUNTRIES:
    _MORE.setdefault(_c, ("geographic", "international", "regional", "countries", "new markets"))

# The overview's "domestic" companies and market are China's ("which chinese open-source companies became businesses").
for _c in ("china", "chinese"):
    _MORE[_c] = (*_MORE[_c], "domestic")

# Words the knowledge names only now and then (places): their synonyms speak for them.
CARRIED_BY_SYNONYMS = frozenset(_COUNTRIES) | frozenset(_REGIONS)
for _k, _v in _MORE.items():
    _k = _k.strip()
    SYNONYMS[_k] = tuple(dict.fromkeys(SYNONYMS.get(_k, ()) + _v))

# Two or more of these named in one question add the expansion ("aws and azure" -> multi-cloud).
GROUP_HINTS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (
        frozenset({"aws", "azure", "gcp", "google cloud", "alibaba", "oracle cloud", "ibm cloud", "tencent", "huawei"}),
        ("multi-cloud", "hybrid cloud", "cloud platform"),
    ),
    (
        CARRIED_BY_SYNONYMS,
        ("multiple regions", "global", "regions"),
    ),
)

# Chat shorthand read as the words it stands for (before stemming, in questions and content alike).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "strat": ("strategy",),
    "strats": ("strategy",),
    "cust": ("customer",),
    "custs": ("customer",),
    "intl": ("international",),
    "int'l": ("international",),
    "mgmt": ("management",),
    "mgr": ("manager",),
    "biz": ("business",),
    "bizdev": ("business", "development"),
    "govt": ("government",),
    "gov": ("government",),
    "mktg": ("marketing",),
    "infra": ("infrastructure",),
    "perf": ("performance",),
    "reqs": ("requirements",),
    "req": ("requirement",),
    "svc": ("service",),
    "svcs": ("services",),
    "acct": ("account",),
    "accts": ("accounts",),
    "exec": ("executive",),
    "execs": ("executives",),
    "dev": ("development",),
    "devs": ("developers",),
    "eng": ("engineering",),
    "engs": ("engineers",),
    "netwrk": ("network",),
    "ntwk": ("network",),
    "cert": ("certification",),
    "certs": ("certifications",),
    "reg": ("regulation",),
    "regs": ("regulations",),
    "comms": ("communications",),
    "org": ("organization",),
    "orgs": ("organizations",),
    "corp": ("corporate",),
    "dept": ("department",),
    "hr": ("human", "resources"),
    "rev": ("revenue",),
    "info": ("information",),
    "tech": ("technology",),
    "ecosys": ("ecosystem",),
    "approx": ("approximately",),
    "w/": ("with",),
    "b2b": ("enterprise", "business"),
    "k8s": ("kubernetes",),
    "shld": ("should",),
    "bc": ("because",),
    "b/c": ("because",),
    "srs": ("serious",),
    "abt": ("about",),
    "std": ("standard",),
    "stds": ("standards",),
    "arch": ("architecture",),
    "tz": ("time", "zone"),
    "tzs": ("time", "zones"),
    "tz's": ("time", "zones"),
    "db": ("database",),
    "dbs": ("databases",),
    # chat shorthand
    "ppl": ("people",),
    "yrs": ("years",),
    "yr": ("year",),
    "mos": ("months",),
    "prod": ("production",),
    "poc": ("proof", "of", "concept"),
    "pocs": ("proof", "of", "concept"),
    "cofounder": ("founder",),
    "cofounders": ("founders",),
    "w/o": ("without",),
    "ps": ("professional", "services"),
    "hw": ("hardware",),
    "sw": ("software",),
}
