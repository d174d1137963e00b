"""Terms of topics next to the overview's that it does not answer.

The overview says which services, partners and risks a commercial open-source
company deals with; it does not answer payroll, personal tax returns, SaaS
metric formulas, licence compatibility or how to configure a database. A
question such as "what's the penalty for filing VAT late" shares words with
the Tax Compliance entry, but its head term ("penalty") is one the entry does
not explain. When a question holds one of these terms and the best entry does
not use it (title, aliases, role, text or items), the decision declines instead
of answering with the nearest entry.

The words are compared as typed (case folded, a plural "s" dropped): stems would
tie "severance" to "several". A term an entry does use (an entry about churn answers
"customers keep churning") never stops that entry.
"""

from __future__ import annotations

import re

from knowledge.words import stem_word, words_of

__all__ = ["ADJACENT_PHRASES", "ADJACENT_TERMS", "adjacent_phrases", "idiom_words", "is_adjacent_term"]

_WORDS = """
    payroll payslip paycheck salary salaries wage overtime bonus severance layoff vacation travel tourist hiking pto
    parental maternity
    paternity sick absence timesheet termination terminate fire fired firing dismissal wrongful resignation probation
    appraisal 401k pension
    penalty penalties deadline refund deduction depreciation depreciate depreciating receipt expense reimbursement
    invoice withholding quota quotas commission commissions bookkeeping ledger accountant w2 w9 w8ben 1099
    formula calculate calculating calculation cac ltv lifetime mrr arr nrr retention churn margin burn ebitda valuation
    409a
    gpl gplv2 gplv3 agpl lgpl sspl bsl busl elv2 relicense relicensing mit bsd compatible compatibility cla dco spdx
    copyleft
    kubernetes k8s docker dockerfile helm terraform
    prometheus grafana alert disk cpu crash crashed crashing bug stacktrace debug debugging
    ssl tls certificate dns password election elections safes iphone android ipad macbook login vpn laptop monitor
    printer wifi outlook phishing 2fa mfa
    upvotes postgres postgresql replication nginx redis regex segfault compiler ssh cron javascript typescript npm
    linter
    quickbooks xero excel cogs opex capex ads adwords ppc pizza topping recipe restaurant cohort arpu
    gaap ifrs asc annex statute crashloopbackoff pod pods configmap yaml osi rebase schema timeout timeouts
    """

# GitHub's stars are how far a project has got, the context of a stage question ("paying customers, not just github
# stars"); GitHub's CI and issue tracker are the neighbouring topic.
# Word pairs that name such a topic though each word alone is the overview's ("tax", "data", "value").
_PHRASES = """
    personal tax, tax return, expense report, performance review, data subject, lifetime value,
    rule of 40, sick leave, parental leave, notice period, gross margin, unit economics, offer letter, job description,
    tax deduction, tax credit, balance sheet, income statement, pull request, merge conflict, unit test, memory leak,
    load balancer, license header, copyright notice, contributor license agreement, register for,
    works council, more stars, more github stars, github actions, github action, github issues, github issue,
    to github, server side public license, business source license, elastic license, capital of, sanctions list,
    labor law, labour law, employment law, employment contract, termination letter, meaning of life,
    integration test, timing out, convertible note, convertible notes, standing desk, happy friday,
    board game, board games, card game, video game, movie night, driving licence, driving license, speed of light,
    a timer
    """


ADJACENT_TERMS: frozenset[str] = frozenset(_WORDS.split())
ADJACENT_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split()) for p in (part.strip() for part in _PHRASES.split(",")) if p
)


_PHRASE_STEMS: tuple[tuple[str, ...], ...] = tuple(tuple(stem_word(w) for w in p) for p in ADJACENT_PHRASES)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def is_adjacent_term(word: str) -> bool:
    """True for a word (as typed) that names a neighbouring topic the overview does not answer."""
    word = word.lower()
    return word in ADJACENT_TERMS or _singular(word) in ADJACENT_TERMS


def adjacent_phrases(text: str) -> list[tuple[str, ...]]:
    """The neighbouring-topic phrases ("tax return", "step by step") found in ``text``, word for word."""
    words = [stem_word(w) for w in words_of(text)]
    present = set(words)
    found = []
    for phrase, stems in zip(ADJACENT_PHRASES, _PHRASE_STEMS, strict=True):
        if stems[0] not in present:
            continue
        size = len(stems)
        if any(tuple(words[i : i + size]) == stems for i in range(len(words) - size + 1)):
            found.append(phrase)
    return found


# A neighbouring topic's word in an everyday idiom: "the ceo came back all fired up" dismisses nobody.
_IDIOMS = re.compile(r"\b(fired?|firing) (?:up|away|off)\b|\bon (fire)\b")


def idiom_words(text: str) -> frozenset[str]:
    """The neighbouring-topic words of ``text`` (lowercased) that are only part of an idiom ("fired up")."""
    return frozenset(w for m in _IDIOMS.finditer(text.lower()) for w in m.groups() if w)
