"""Parse the seed document (Markdown) into entry dictionaries.

Used to build the shipped content files (``python -m knowledge.seed SEED OUT``)
and by the tests that check every item of the seed is in the knowledge store.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from knowledge.text import fix_mojibake

__all__ = ["parse_seed", "slug"]

_H2 = re.compile(r"^## (.+)$")
_H3 = re.compile(r"^### (.+)$")
_BOLD_ITEM = re.compile(r"^(?:- |\d+\. )\*\*(.+?)\*\*:\s*(.*)$")
_PLAIN_ITEM = re.compile(r"^(?:- |\d+\. )(.+)$")
_IMPORTANCE = re.compile(r"^\*\*Importance Level:\s*(.+?)\*\*$")
_PROVIDERS = re.compile(r"^\*\*Recommended Service Providers\*\*:?$")
_PROVIDER = re.compile(r"^(.+?)\s*\((.+)\)$")
_NUMBER_PREFIX = re.compile(r"^\d+\.\s*")
_EMOJI_PREFIX = re.compile(r"^[^\w(]+", re.UNICODE)
_YEARS = re.compile(r"^(.+?)\s*\((.+)\)$")

# Section (##) title -> (kind of a ### group, kind of its bold items, id prefix)
_SECTIONS: dict[str, tuple[str, str, str]] = {
    "Stage Characteristics": ("section", "stage_characteristic", "stage"),
    "Core Needs Analysis": ("core_need", "core_need_item", "need"),
    "Recommended Service Portfolio": ("service_area", "service", "area"),
    "Commercial Open Source Specialized Services": ("specialised_group", "specialised_service", "specialised"),
    "Service Acquisition Strategy": ("acquisition_strategy", "acquisition_item", "acquisition"),
    "Business Model Design": ("business_model_group", "", "model"),
    "Risk Management and Compliance": ("risk_group", "", "risk"),
    "Success Case References": ("case_group", "case", "cases"),
    "Development Path and Milestones": ("phase", "", "phase"),
    "Success Key Factors": ("success_factor_group", "success_factor", "factor"),
    "Summary": ("summary", "summary_point", "summary"),
}
# Item kind by group title where one section holds several kinds.
_GROUP_ITEM_KIND = {
    "Diversified Revenue Models": "revenue_model",
    "Customer Segmentation Strategy": "customer_segment",
    "Market Expansion Strategy": "expansion_strategy",
    "Business Risk Management": "business_risk",
    "Corporate Governance Structure": "governance",
    "International Compliance Management": "compliance",
}


# Id prefix of bold items whose kind differs from their section's prefix.
_ITEM_PREFIX = {"service": "service"}


def slug(text: str) -> str:
    """A stable, readable id fragment: ``M&A Legal Support`` -> ``m-a-legal-support``."""
    text = re.sub(r"[^a-z0-9]+", "-", text.casefold())
    return text.strip("-")


def _clean_heading(text: str) -> str:
    return _EMOJI_PREFIX.sub("", _NUMBER_PREFIX.sub("", text)).strip()


def parse_seed(raw: str) -> list[dict[str, Any]]:
    """Turn the seed into a flat list of entry dicts (clean text, no aliases)."""
    text = fix_mojibake(raw)
    entries: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}

    def add(entry: dict[str, Any]) -> dict[str, Any]:
        base, n = entry["id"], 2
        while entry["id"] in by_id:
            entry["id"] = f"{base}-{n}"
            n += 1
        entries.append(entry)
        by_id[entry["id"]] = entry
        return entry

    section: dict[str, Any] | None = None
    group: dict[str, Any] | None = None
    section_title = ""
    in_providers = False
    paragraph_target: dict[str, Any] | None = None

    for line in text.splitlines():
        line = line.rstrip()
        if not line or line.startswith("# "):
            continue
        if m := _H2.match(line):
            section_title = m.group(1).strip()
            _, _, prefix = _SECTIONS.get(section_title, ("section", "", slug(section_title)))
            section = add(
                {
                    "id": f"section.{prefix}",
                    "kind": "section" if section_title != "Summary" else "summary",
                    "title": section_title,
                    "text": "",
                    "source": section_title,
                    "items": [],
                }
            )
            group, in_providers, paragraph_target = None, False, section
            continue
        if section is None:
            continue
        group_kind, item_kind, prefix = _SECTIONS.get(section_title, ("section", "", slug(section_title)))
        if m := _H3.match(line):
            title = _clean_heading(m.group(1))
            entry: dict[str, Any] = {
                "id": f"{prefix}.{slug(title)}",
                "kind": group_kind,
                "title": title,
                "text": "",
                "source": f"{section_title} › {title}",
                "parent": section["id"],
                "items": [],
            }
            if group_kind == "phase" and (ym := _YEARS.match(title)):
                entry["title"], entry["years"] = ym.group(1), ym.group(2)
                entry["id"] = f"{prefix}.{slug(ym.group(1))}"
                entry["source"] = f"{section_title} › {ym.group(1)}"
            group = add(entry)
            in_providers, paragraph_target = False, group
            continue
        owner = group or section
        if m := _IMPORTANCE.match(line):
            owner["importance"] = m.group(1).count("⭐")
            continue
        if _PROVIDERS.match(line):
            in_providers = True
            continue
        if m := _BOLD_ITEM.match(line):
            title, desc = m.group(1).strip(), m.group(2).strip()
            kind = _GROUP_ITEM_KIND.get(owner["title"], item_kind) or "section"
            add(
                {
                    "id": f"{_ITEM_PREFIX.get(kind, prefix)}.{slug(title)}",
                    "kind": kind,
                    "title": title,
                    "text": desc,
                    "source": owner["source"],
                    "parent": owner["id"],
                }
            )
            continue
        if m := _PLAIN_ITEM.match(line):
            item = m.group(1).strip()
            if in_providers:
                pm = _PROVIDER.match(item)
                name, role = (pm.group(1), pm.group(2)) if pm else (item, None)
                provider = {
                    "id": f"provider.{slug(name)}",
                    "kind": "provider",
                    "title": name,
                    "text": role or f"Recommended provider for {owner['title']}",
                    "source": f"{owner['source']} › Recommended Service Providers",
                    "parent": owner["id"],
                }
                if role:
                    provider["role"] = role
                add(provider)
            else:
                owner.setdefault("items", []).append(item)
            continue
        # A plain paragraph: the first one becomes the owner's text.
        if paragraph_target is not None:
            joined = (paragraph_target["text"] + "\n\n" + line).strip()
            paragraph_target["text"] = joined

    for entry in entries:
        if not entry.get("items"):
            entry.pop("items", None)
    return entries


def _main(argv: list[str]) -> int:
    """Write one content file per top-level section of the seed."""
    import yaml

    if len(argv) != 2:
        print("usage: python -m knowledge.seed SEED_FILE OUT_DIR", file=sys.stderr)
        return 2
    entries = parse_seed(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        section = entry["source"].split(" › ", 1)[0]
        files.setdefault(_SECTIONS.get(section, ("", "", slug(section)))[2], []).append(entry)
    for n, (name, group) in enumerate(files.items(), start=1):
        path = out / f"{n:02d}_{name}.yaml"
        path.write_text(
            yaml.safe_dump({"entries": group}, allow_unicode=True, sort_keys=False, width=100),
            encoding="utf-8",
        )
    print(f"{len(entries)} entries written to {len(files)} files in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
