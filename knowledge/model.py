"""Knowledge entry value type."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Entry", "Localized", "KINDS", "RISK_KINDS", "SERVICE_KINDS"]

# Every kind an entry may have, with the command it belongs to.
SERVICE_KINDS = frozenset(
    {
        "section",
        "stage_characteristic",
        "core_need",
        "service_area",
        "service",
        "provider",
        "specialised_group",
        "specialised_service",
        "acquisition_strategy",
        "acquisition_item",
        "business_model_group",
        "revenue_model",
        "customer_segment",
        "expansion_strategy",
        "case_group",
        "case",
        "phase",
        "success_factor_group",
        "success_factor",
        "summary",
        "summary_point",
    }
)
RISK_KINDS = frozenset({"risk_group", "business_risk", "governance", "compliance"})
KINDS = SERVICE_KINDS | RISK_KINDS


@dataclass(frozen=True, slots=True)
class Localized:
    """An entry's words in another language (``zh:`` in the content files): title, text, items, aliases.

    ``items`` line up with the entry's English ``items``; ``aliases`` feed search in that language.
    """

    title: str
    text: str = ""
    items: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """One piece of knowledge: a service area, a provider, a risk, a phase...

    ``source`` is the entry's place in the seed document and is shown under
    every answer built on it. ``aliases`` only feed search.
    """

    id: str
    kind: str
    title: str
    text: str
    source: str
    parent: str | None = None
    related: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    importance: int | None = None
    years: str | None = None
    role: str | None = None
    owner: str | None = None
    note: str | None = None
    url: str | None = None
    origin: str = "seed"
    extra: tuple[tuple[str, str], ...] = field(default=())
    # Other languages' words, by language code (``("zh", Localized(...))``).
    translations: tuple[tuple[str, Localized], ...] = ()

    def localized(self, lang: str) -> Localized | None:
        """The entry's words in ``lang``, if it has them."""
        for code, words in self.translations:
            if code == lang:
                return words
        return None

    @property
    def command(self) -> str:
        """The slash command this entry is answered by first."""
        return "risk" if self.kind in RISK_KINDS else "service"
