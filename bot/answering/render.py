"""Knowledge entries -> Replies."""

from __future__ import annotations

from bot.kernel.reply import Button, Field, Reply, Section
from knowledge import Entry, KnowledgeBase

__all__ = ["DOCUMENT", "entry_reply", "source_footer", "stars", "entry_summary", "result_text"]

DOCUMENT = "Commercial Open Source Stage Service Overview"
_KIND_LABEL = {
    "service_area": "Service area",
    "service": "Service",
    "provider": "Recommended provider",
    "specialised_group": "Specialised services",
    "specialised_service": "Specialised service",
    "acquisition_strategy": "Service acquisition strategy",
    "acquisition_item": "Service acquisition",
    "business_model_group": "Business model design",
    "revenue_model": "Revenue model",
    "customer_segment": "Customer segment",
    "expansion_strategy": "Market expansion",
    "risk_group": "Risk and compliance",
    "business_risk": "Business risk",
    "governance": "Corporate governance",
    "compliance": "International compliance",
    "case_group": "Success cases",
    "case": "Success case",
    "phase": "Development phase",
    "success_factor_group": "Key success factors",
    "success_factor": "Key success factor",
    "stage_characteristic": "Stage characteristic",
    "core_need": "Core need",
    "summary": "Summary",
    "summary_point": "Summary",
    "section": "Overview",
}


def stars(n: int | None) -> str:
    if not n:
        return ""
    return "★" * n + "☆" * (5 - n) + f" ({n}/5)"


def source_footer(entries: list[Entry] | Entry) -> str:
    """``Source: <document> › <section>`` for seed entries; the team file for added ones."""
    items = entries if isinstance(entries, list) else [entries]
    parts: list[str] = []
    for e in items:
        label = f"{DOCUMENT} › {e.source}" if e.origin == "seed" else f"your team's knowledge ({e.source})"
        if label not in parts:
            parts.append(label)
    return "Source: " + "; ".join(parts[:3])


def entry_summary(entry: Entry) -> str:
    """``Title — text`` on one line."""
    text = entry.text.rstrip(":")
    return f"{entry.title} — {text}" if text and text != entry.title else entry.title


def _title(entry: Entry) -> str:
    if entry.kind == "phase" and entry.years:
        return f"{entry.title} ({entry.years})"
    if entry.kind == "provider" and entry.role:
        return f"{entry.title} ({entry.role})"
    return entry.title


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


def providers_reply(kb: KnowledgeBase, entry: Entry) -> Reply:
    """Who to call about ``entry``."""
    providers = _providers_for(kb, entry)
    if not providers:
        return Reply(
            title=f"Providers for {entry.title}",
            sections=(
                Section(
                    text="The overview names no providers for this topic. "
                    "Try `/cos-service providers legal` or `/cos-service providers training`."
                ),
            ),
            footer=source_footer(entry),
            results=(entry.id,),
        )
    bullets = []
    for p in providers:
        area = kb.parent_of(p)
        line = f"{p.title}" + (f" — {p.role}" if p.role else "")
        if area is not None and area.id != entry.id:
            line += f" (for {area.title})"
        if p.note:
            line += f". Note: {p.note}"
        bullets.append(line)
    return Reply(
        title=f"Recommended providers: {entry.title}",
        sections=(Section(bullets=tuple(bullets)),),
        footer=source_footer([entry, *providers[:1]]),
        buttons=(Button("Share in channel", "share", ""), Button("About " + entry.title[:60], "open", entry.id)),
        results=(entry.id, *(p.id for p in providers)),
    )


def entry_reply(kb: KnowledgeBase, entry: Entry, *, alternatives: list[Entry] | None = None) -> Reply:
    """A full answer about one entry, with related entries and who can help."""
    sections: list[Section] = []
    fields: list[Field] = [Field("Type", _KIND_LABEL.get(entry.kind, entry.kind.replace("_", " ").title()))]
    results = [entry.id]
    text = entry.text.rstrip(":")
    if text and text != entry.title:
        sections.append(Section(text=text))
    if entry.importance:
        fields.append(Field("Importance", stars(entry.importance)))
    parent = kb.parent_of(entry)
    if parent is not None and parent.kind not in ("section", "summary"):
        label = "Area" if entry.kind in ("service", "provider") else "Part of"
        fields.append(Field(label, parent.title + (f" {stars(parent.importance)}" if parent.importance else "")))
    if entry.years:
        fields.append(Field("Years", entry.years.removeprefix("Years ")))
    if entry.owner:
        fields.append(Field("Owner", entry.owner))
    if entry.items:
        heading = {"phase": "Milestones", "core_need": "Needs"}.get(entry.kind, "Includes")
        sections.append(Section(heading=heading, bullets=entry.items))

    children = [c for c in kb.children(entry.id) if c.kind != "provider"]
    if children:
        heading = {"service_area": "Services"}.get(entry.kind, "Includes")
        sections.append(Section(heading=heading, bullets=tuple(entry_summary(c) for c in children)))
        results.extend(c.id for c in children)

    related = [r for r in kb.related_to(entry) if r.kind != "provider"]
    is_risk = entry.kind in ("business_risk", "governance", "compliance")
    if is_risk and related:
        # For a risk, what to do about it comes before who can help.
        sections.append(Section(heading="What helps", bullets=tuple(entry_summary(r) for r in related[:6])))
        results.extend(r.id for r in related[:6])

    if entry.kind == "provider" and parent is not None:
        services = kb.children(parent.id, "service")
        sections.append(Section(heading=f"Helps with ({parent.title})", bullets=tuple(s.title for s in services)))
        results.append(parent.id)
    else:
        providers = _providers_for(kb, entry)
        if providers:
            sections.append(
                Section(
                    heading="Recommended providers",
                    bullets=tuple(p.title + (f" — {p.role}" if p.role else "") for p in providers[:8]),
                )
            )
            results.extend(p.id for p in providers[:8])

    if related and not is_risk:
        sections.append(Section(heading="Related", bullets=tuple(r.title for r in related[:5])))
        results.extend(r.id for r in related[:5])

    if entry.kind == "phase":
        phases = kb.of_kind("phase")
        idx = next((i for i, p in enumerate(phases) if p.id == entry.id), -1)
        if 0 <= idx < len(phases) - 1:
            nxt = phases[idx + 1]
            fields.append(Field("Next phase", f"{nxt.title} ({nxt.years})" if nxt.years else nxt.title))

    if entry.note:
        sections.append(Section(heading="Team note", text=entry.note))

    if alternatives:
        sections.append(Section(heading="Also relevant", bullets=tuple(entry_summary(a) for a in alternatives)))
        results.extend(a.id for a in alternatives)

    buttons = [Button("Share in channel", "share", "", style="primary")]
    if entry.kind != "provider" and _providers_for(kb, entry):
        buttons.append(Button("Providers", "providers", entry.id))
    if kb.related_to(entry):
        buttons.append(Button("Related topics", "related", entry.id))
    for alt in (alternatives or [])[:2]:
        buttons.append(Button(alt.title[:70], "open", alt.id))

    seen: list[str] = []
    for r in results:
        if r not in seen:
            seen.append(r)
    return Reply(
        title=_title(entry),
        sections=tuple(sections),
        fields=tuple(fields),
        buttons=tuple(buttons),
        footer=source_footer(entry),
        results=tuple(seen),
    )
