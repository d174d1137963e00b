"""Everything in the seed is in the knowledge store, clean, and reachable by a command."""

from __future__ import annotations

import pytest

from knowledge.loader import SOURCE_DOCUMENT as SEED
from knowledge.seed import parse_seed

SEED_ENTRIES = parse_seed(SEED.read_text(encoding="utf-8")) if SEED.exists() else []


def test_seed_is_available():
    assert SEED.exists(), f"seed document not found at {SEED}"
    assert len(SEED_ENTRIES) > 150


@pytest.mark.parametrize("seed_entry", SEED_ENTRIES, ids=lambda e: e["id"])
def test_seed_entry_is_in_the_store_unchanged(kb, seed_entry):
    entry = kb.get(seed_entry["id"])
    assert entry is not None
    assert entry.title == seed_entry["title"]
    assert entry.text == seed_entry["text"].strip()
    assert list(entry.items) == seed_entry.get("items", [])


REACHABLE_KINDS = {
    "provider": "cos-service",
    "service": "cos-service",
    "service_area": "cos-service",
    "specialised_service": "cos-service",
    "business_risk": "cos-risk",
    "governance": "cos-risk",
    "compliance": "cos-risk",
    "phase": "cos-service",
    "case": "cos-service",
    "revenue_model": "cos-service",
    "customer_segment": "cos-service",
    "expansion_strategy": "cos-service",
    "acquisition_item": "cos-service",
    "success_factor": "cos-service",
}


@pytest.mark.parametrize("seed_entry", [e for e in SEED_ENTRIES if e["kind"] in REACHABLE_KINDS], ids=lambda e: e["id"])
async def test_every_item_is_reachable_by_its_title(harness, seed_entry):
    command = REACHABLE_KINDS[seed_entry["kind"]]
    reply = await harness.say(f"/{command} {seed_entry['title']}")
    assert reply.results, reply
    assert reply.results[0] == seed_entry["id"], (seed_entry["title"], reply.results[:3])
