"""/cos-service and /cos-risk through the real router."""

from __future__ import annotations

from bot.kernel.reply import to_text
from bot.kernel.router import Action


async def test_help_without_argument(harness):
    for line in ("/cos-service", "/cos-service help", "/cos-risk", "/cos-risk help"):
        reply = await harness.say(line)
        text = to_text(reply)
        assert "Examples" in text and "/cos-" in text
        assert reply.error is None


async def test_legal_area_names_providers_and_source(harness):
    reply = await harness.say("/cos-service legal")
    assert reply.results[0] == "area.comprehensive-legal-services"
    text = to_text(reply)
    for name in ("Skadden", "Latham & Watkins", "Wilson Sonsini"):
        assert name in text
    assert "★★★★★" in text
    assert reply.footer.startswith(
        "Source: Commercial Open Source Stage Service Overview › Recommended Service Portfolio"
    )
    assert reply.ephemeral
    assert any(b.action == "share" for b in reply.buttons)


async def test_portfolio_overview_lists_areas_with_importance(harness):
    reply = await harness.say("/cos-service overview")
    text = to_text(reply)
    assert len([r for r in reply.results if r.startswith("area.")]) == 6
    assert "Industrialized Training Services — ★★★★☆ (4/5)" in text


async def test_single_service_shows_its_area_and_providers(harness):
    reply = await harness.say("/cos-service Equity Incentive Design")
    text = to_text(reply)
    assert reply.results[0] == "service.equity-incentive-design"
    assert "Strategic Talent Services" in text and "Korn Ferry" in text


async def test_provider_answer(harness):
    reply = await harness.say("/cos-service Korn Ferry")
    assert reply.results[0] == "provider.korn-ferry"
    assert "Executive Search" in to_text(reply)


async def test_providers_subcommand(harness):
    reply = await harness.say("/cos-service providers training")
    text = to_text(reply)
    assert reply.results[0] == "area.industrialized-training-services"
    assert "Linux Foundation Training" in text and "Coursera for Business" in text
    everyone = await harness.say("/cos-service providers")
    assert "McKinsey & Company" in to_text(everyone) and "ESG consulting agencies" in to_text(everyone)


async def test_milestones_and_phases(harness):
    reply = await harness.say("/cos-service milestones")
    text = to_text(reply)
    for phase in ("Early Commercialization (Years 1-2)", "Commercialization Leadership (8+ years)"):
        assert phase in text
    assert "Acquire first batch of enterprise paying customers" in text
    growth = await harness.say("/cos-service milestones growth")
    assert growth.results[0] == "phase.commercialization-growth"
    assert "Next phase" in to_text(growth)


async def test_cases(harness):
    text = await harness.text("/cos-service cases")
    for name in ("Red Hat", "MongoDB", "PingCAP (TiDB)", "EMQ Technologies (EMQX)"):
        assert name in text
    domestic = await harness.text("/cos-service cases domestic")
    assert "TDengine" in domestic and "MongoDB" not in domestic


async def test_risk_overview_and_topics(harness):
    text = await harness.text("/cos-risk overview")
    for title in ("Market Risk", "Board Governance", "Data Protection Compliance", "Tax Compliance"):
        assert title in text
    gdpr = await harness.say("/cos-risk gdpr")
    assert gdpr.results[0] == "risk.data-protection-compliance"
    assert "What helps" in to_text(gdpr)
    assert any(r.startswith("provider.") for r in gdpr.results)
    tp = await harness.say("/cos-risk transfer pricing")
    assert tp.results[0] == "risk.tax-compliance"
    cash = await harness.say("/cos-risk we might run out of cash")
    assert cash.results[0] == "risk.financial-risk"


async def test_examples_from_the_brief(harness):
    expectations = {
        "/cos-service who can run our SOC 2 audit": "service.security-certification-services",
        "/cos-service sco2": "service.security-certification-services",
        "/cos-risk gdrp": "risk.data-protection-compliance",
        "/cos-service hire a CEO": "service.executive-search-services",
        "/cos-service the Kafka company": "cases.confluent",
        "/cos-risk export control": "risk.export-control-compliance",
    }
    for line, expected in expectations.items():
        reply = await harness.say(line)
        assert reply.results and reply.results[0] == expected, (line, reply.results[:3])


async def test_unknown_words_get_did_you_mean(harness):
    reply = await harness.say("/cos-service zzqx blorp")
    text = to_text(reply)
    assert reply.title == "No match" and "Try" in text
    fuzzy = await harness.say("/cos-service xyzzy antitrusst")
    assert fuzzy.results or "Did you mean" in to_text(fuzzy)


async def test_buttons_open_providers_related_and_stale(app):
    base = {"platform": "console", "workspace": "T1", "channel": "C1", "user": "U1"}
    opened = await app.router.handle_action(Action(action="open", value="risk.tax-compliance", **base))
    assert opened.results[0] == "risk.tax-compliance"
    providers = await app.router.handle_action(
        Action(action="providers", value="area.comprehensive-legal-services", **base)
    )
    assert "Skadden, Arps" in to_text(providers)
    related = await app.router.handle_action(Action(action="related", value="risk.data-protection-compliance", **base))
    assert "Related topics" in to_text(related)
    for action, value in (("open", "no.such-entry"), ("providers", "'; DROP TABLE x; --"), ("bogus", "x" * 5000)):
        stale = await app.router.handle_action(Action(action=action, value=value, **base))
        assert stale.error == "stale action"
        assert "expired" in stale.title


async def test_dm_free_text_goes_to_the_knowledge(harness):
    reply = await harness.say("what about GDPR?", command="message", is_dm=True)
    assert reply.results[0] == "risk.data-protection-compliance"


async def test_no_reply_shows_a_mis_decoded_character(app, kb):
    from knowledge.text import has_mojibake

    base = {"platform": "console", "workspace": "T1", "channel": "C1", "user": "U1"}
    for entry_id in kb.entries:
        for action in ("open", "providers", "related"):
            reply = await app.router.handle_action(Action(action=action, value=entry_id, **base))
            text = to_text(reply)
            assert not has_mojibake(text) and "√" not in text and "\uf8ff" not in text, (entry_id, action)
    assert "24×7" in to_text(
        await app.router.handle_action(Action(action="open", value="specialised.24-7-technical-support", **base))
    )


async def test_polite_forms_of_help_and_overview(harness):
    assert "Examples" in await harness.text("/cos-service help me")
    assert (await harness.say("/cos-service overview please")).title == "Recommended service portfolio"
    assert (await harness.say("/cos-risk show me the overview")).title == "Risk management and compliance"


async def test_did_you_mean_offers_near_misses(harness):
    reply = await harness.say("/cos-service mckinzy")
    text = to_text(reply)
    assert "Did you mean" in text and "McKinsey & Company" in text
    assert reply.footer and "Source searched" in reply.footer


async def test_a_title_typed_letter_for_letter_wins_over_a_title_that_stems_alike(harness):
    plural = await harness.say("/cos-service Diversified Revenue Models")
    assert plural.results[0] == "model.diversified-revenue-models"
    singular = await harness.say("/cos-service Diversified Revenue Model")
    assert singular.results[0] == "factor.diversified-revenue-model"
    assert (await harness.say("/cos-service Service Acquisition Strategy")).results[0] == "section.acquisition"


async def test_a_risk_says_what_helps_before_who_can_help(harness):
    text = await harness.text("/cos-risk we might run out of cash")
    assert text.index("What helps") < text.index("Recommended providers")


def test_the_phase_a_milestones_question_names_is_searched_once_per_text(kb) -> None:
    from bot.answering.commands import KnowledgeCommands
    from knowledge import Searcher

    class Counting(Searcher):
        calls = 0

        def search(self, text, **kwargs):  # type: ignore[no-untyped-def, override]
            Counting.calls += 1
            return super().search(text, **kwargs)

    commands = KnowledgeCommands(kb, Counting(kb))
    first = commands.milestones("growth")
    again = commands.milestones("growth")
    assert first.results[0] == again.results[0] == "phase.commercialization-growth"
    assert Counting.calls == 1
    assert commands.milestones("leadership").results[0] != first.results[0] and Counting.calls == 2
