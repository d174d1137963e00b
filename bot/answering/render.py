"""Knowledge entries -> Replies."""

from __future__ import annotations

from collections.abc import Callable

from bot.kernel.lang import translator
from bot.kernel.reply import Button, Field, Reply, Section
from knowledge import Entry, KnowledgeBase

__all__ = [
    "DOCUMENT",
    "N_",
    "entry_reply",
    "source_footer",
    "stars",
    "entry_items",
    "entry_summary",
    "result_text",
    "text_in",
    "title_in",
    "words",
]

DOCUMENT = "Commercial Open Source Stage Service Overview"


def N_(message: str) -> str:  # marks text for Babel; translated where it is shown
    return message


def words(lang: str) -> Callable[[str], str]:
    """The card's own words in ``lang`` (gettext of the bot's catalog; English says them as written)."""
    return translator(lang).gettext


def title_in(entry: Entry, lang: str) -> str:
    """The entry's title in ``lang``, or in English when it has none there."""
    local = entry.localized(lang) if lang != "en" else None
    return local.title if local is not None and local.title else entry.title


def text_in(entry: Entry, lang: str) -> str:
    """The entry's text in ``lang``, or in English when it has none there."""
    local = entry.localized(lang) if lang != "en" else None
    return local.text if local is not None and local.text else entry.text


def entry_items(entry: Entry, lang: str) -> tuple[str, ...]:
    local = entry.localized(lang) if lang != "en" else None
    if local is not None and len(local.items) == len(entry.items):
        return local.items
    return entry.items


_KIND_LABEL = {
    "service_area": N_("Service area"),
    "service": N_("Service"),
    "provider": N_("Recommended provider"),
    "specialised_group": N_("Specialised services"),
    "specialised_service": N_("Specialised service"),
    "acquisition_strategy": N_("Service acquisition strategy"),
    "acquisition_item": N_("Service acquisition"),
    "business_model_group": N_("Business model design"),
    "revenue_model": N_("Revenue model"),
    "customer_segment": N_("Customer segment"),
    "expansion_strategy": N_("Market expansion"),
    "risk_group": N_("Risk and compliance"),
    "business_risk": N_("Business risk"),
    "governance": N_("Corporate governance"),
    "compliance": N_("International compliance"),
    "case_group": N_("Success cases"),
    "case": N_("Success case"),
    "phase": N_("Development phase"),
    "success_factor_group": N_("Key success factors"),
    "success_factor": N_("Key success factor"),
    "stage_characteristic": N_("Stage characteristic"),
    "core_need": N_("Core need"),
    "summary": N_("Summary"),
    "summary_point": N_("Summary"),
    "section": N_("Overview"),
}


def stars(n: int | None) -> str:
    if not n:
        return ""
    return "★" * n + "☆" * (5 - n) + f" ({n}/5)"


def source_footer(entries: list[Entry] | Entry, lang: str = "en") -> str:
    """``Source: <document> › <section>`` for seed entries; the team file for added ones."""
    _ = words(lang)
    items = entries if isinstance(entries, list) else [entries]
    parts: list[str] = []
    for e in items:
        label = (
            f"{DOCUMENT} › {e.source}"
            if e.origin == "seed"
            else _("your team's knowledge ({source})").format(source=e.source)
        )
        if label not in parts:
            parts.append(label)
    return _("Source: {where}").format(where="; ".join(parts[:3]))


def entry_summary(entry: Entry, lang: str = "en") -> str:
    """``Title — text`` on one line."""
    title = title_in(entry, lang)
    text = text_in(entry, lang).rstrip(":：")
    return f"{title} — {text}" if text and text != title else title


def _title(entry: Entry, lang: str = "en") -> str:
    title = title_in(entry, lang)
    if entry.kind == "phase" and entry.years:
        return f"{title} ({entry.years})"
    if entry.kind == "provider" and entry.role:
        return f"{title} ({entry.role})"
    return title


def result_text(kb: KnowledgeBase, entry: Entry) -> str:
    """The entry as one paragraph: what ``--json`` results carry as ``text``."""
    parts = [
        f"{_title(entry)}: {entry.text.rstrip(':')}" if entry.text and entry.text != entry.title else _title(entry)
    ]
    if entry.items:
        parts.append("; ".join(entry.items))
    if entry.kind == "service_area":
        parts.append("Services: " + "; ".join(c.title for c in kb.children(entry.id, "service")))
        parts.append("Recommended providers: " + "; ".join(c.title for c in kb.children(entry.id, "provider")))
    elif entry.kind in ("service", "provider"):
        parent = kb.parent_of(entry)
        if parent is not None:
            parts.append(f"Part of {parent.title}")
    if entry.owner:
        parts.append(f"Owner: {entry.owner}")
    if entry.note:
        parts.append(f"Note: {entry.note}")
    return ". ".join(p.rstrip(".") for p in parts if p) + "."


def _providers_for(kb: KnowledgeBase, entry: Entry) -> list[Entry]:
    """The providers that help with ``entry``: its own, its area's, or related ones."""
    if entry.kind == "provider":
        return [entry]
    if entry.kind == "service_area":
        return kb.children(entry.id, "provider")
    found: list[Entry] = []
    if entry.kind == "service" and entry.parent:
        found.extend(kb.children(entry.parent, "provider"))
    for rel in kb.related_to(entry):
        if rel.kind == "provider" and rel not in found:
            found.append(rel)
        elif rel.kind in ("service", "service_area"):
            area = rel if rel.kind == "service_area" else kb.parent_of(rel)
            if area is not None:
                for p in kb.children(area.id, "provider"):
                    if p not in found:
                        found.append(p)
    return found


def providers_reply(kb: KnowledgeBase, entry: Entry, *, lang: str = "en") -> Reply:
    """Who to call about ``entry``."""
    _ = words(lang)
    title = title_in(entry, lang)
    providers = _providers_for(kb, entry)
    if not providers:
        return Reply(
            title=_("Providers for {topic}").format(topic=title),
            sections=(
                Section(
                    text=_(
                        "The overview names no providers for this topic. "
                        "Try `/cos-service providers legal` or `/cos-service providers training`."
                    )
                ),
            ),
            footer=source_footer(entry, lang),
            results=(entry.id,),
            lang=lang,
        )
    bullets = []
    for p in providers:
        area = kb.parent_of(p)
        line = title_in(p, lang) + (f" — {p.role}" if p.role else "")
        if area is not None and area.id != entry.id:
            line += " " + _("(for {area})").format(area=title_in(area, lang))
        if p.note:
            line += ". " + _("Note: {note}").format(note=p.note)
        bullets.append(line)
    return Reply(
        title=_("Recommended providers: {topic}").format(topic=title),
        sections=(Section(bullets=tuple(bullets)),),
        footer=source_footer([entry, *providers[:1]], lang),
        buttons=(
            Button(_("Share in channel"), "share", ""),
            Button(_("About {topic}").format(topic=title[:60]), "open", entry.id),
        ),
        results=(entry.id, *(p.id for p in providers)),
        lang=lang,
    )


def entry_reply(kb: KnowledgeBase, entry: Entry, *, alternatives: list[Entry] | None = None, lang: str = "en") -> Reply:
    """A full answer about one entry, with related entries and who can help, worded in ``lang``."""
    _ = words(lang)
    sections: list[Section] = []
    kind = _KIND_LABEL.get(entry.kind)
    fields: list[Field] = [Field(_("Type"), _(kind) if kind else entry.kind.replace("_", " ").title())]
    results = [entry.id]
    text = text_in(entry, lang).rstrip(":：")
    if text and text != title_in(entry, lang):
        sections.append(Section(text=text))
    if entry.importance:
        fields.append(Field(_("Importance"), stars(entry.importance)))
    parent = kb.parent_of(entry)
    if parent is not None and parent.kind not in ("section", "summary"):
        label = _("Area") if entry.kind in ("service", "provider") else _("Part of")
        importance = f" {stars(parent.importance)}" if parent.importance else ""
        fields.append(Field(label, title_in(parent, lang) + importance))
    if entry.years:
        fields.append(Field(_("Years"), entry.years.removeprefix("Years ")))
    if entry.owner:
        fields.append(Field(_("Owner"), entry.owner))
    if entry.items:
        heading = {"phase": N_("Milestones"), "core_need": N_("Needs")}.get(entry.kind, N_("Includes"))
        sections.append(Section(heading=_(heading), bullets=entry_items(entry, lang)))

    children = [c for c in kb.children(entry.id) if c.kind != "provider"]
    if children:
        heading = _("Services") if entry.kind == "service_area" else _("Includes")
        sections.append(Section(heading=heading, bullets=tuple(entry_summary(c, lang) for c in children)))
        results.extend(c.id for c in children)

    related = [r for r in kb.related_to(entry) if r.kind != "provider"]
    is_risk = entry.kind in ("business_risk", "governance", "compliance")
    if is_risk and related:
        # For a risk, what to do about it comes before who can help.
        sections.append(Section(heading=_("What helps"), bullets=tuple(entry_summary(r, lang) for r in related[:6])))
        results.extend(r.id for r in related[:6])

    if entry.kind == "provider" and parent is not None:
        services = kb.children(parent.id, "service")
        sections.append(
            Section(
                heading=_("Helps with ({area})").format(area=title_in(parent, lang)),
                bullets=tuple(title_in(s, lang) for s in services),
            )
        )
        results.append(parent.id)
    else:
        providers = _providers_for(kb, entry)
        if providers:
            sections.append(
                Section(
                    heading=_("Recommended providers"),
                    bullets=tuple(title_in(p, lang) + (f" — {p.role}" if p.role else "") for p in providers[:8]),
                )
            )
            results.extend(p.id for p in providers[:8])

    if related and not is_risk:
        sections.append(Section(heading=_("Related"), bullets=tuple(title_in(r, lang) for r in related[:5])))
        results.extend(r.id for r in related[:5])

    if entry.kind == "phase":
        phases = kb.of_kind("phase")
        idx = next((i for i, p in enumerate(phases) if p.id == entry.id), -1)
        if 0 <= idx < len(phases) - 1:
            nxt = phases[idx + 1]
            fields.append(Field(_("Next phase"), _title(nxt, lang)))

    if entry.note:
        sections.append(Section(heading=_("Team note"), text=entry.note))

    if alternatives:
        sections.append(
            Section(heading=_("Also relevant"), bullets=tuple(entry_summary(a, lang) for a in alternatives))
        )
        results.extend(a.id for a in alternatives)

    buttons = [Button(_("Share in channel"), "share", "", style="primary")]
    if entry.kind != "provider" and _providers_for(kb, entry):
        buttons.append(Button(_("Providers"), "providers", entry.id))
    if kb.related_to(entry):
        buttons.append(Button(_("Related topics"), "related", entry.id))
    buttons.extend(Button(title_in(alt, lang)[:70], "open", alt.id) for alt in (alternatives or [])[:2])

    seen: list[str] = []
    for r in results:
        if r not in seen:
            seen.append(r)
    return Reply(
        title=_title(entry, lang),
        sections=tuple(sections),
        fields=tuple(fields),
        buttons=tuple(buttons),
        footer=source_footer(entry, lang),
        results=tuple(seen),
        lang=lang,
    )
