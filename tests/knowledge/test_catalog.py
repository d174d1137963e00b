"""The gettext catalog: the committed .mo is the compiled .po, and every word of a knowledge answer has Chinese."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.kernel.lang import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _catalog(lang: str) -> dict[object, str]:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    compiled = io.BytesIO()
    write_mo(compiled, read_po(po.open("rb"), locale=lang))
    compiled.seek(0)
    return dict(gettext.GNUTranslations(compiled)._catalog)  # type: ignore[attr-defined]


def test_committed_mo_matches_the_po() -> None:
    for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        lang = po.parent.parent.name
        with (po.parent / f"{DOMAIN}.mo").open("rb") as mo:
            committed = dict(gettext.GNUTranslations(mo)._catalog)  # type: ignore[attr-defined]
        assert committed == _catalog(lang), f"{po}: run `make messages` and commit the .mo"


def test_every_word_of_a_knowledge_answer_has_chinese() -> None:
    catalog = _catalog("zh")
    found = [
        message
        for _, _, message, _, _ in extract_from_dir(ROOT / "bot" / "answering", keywords=KEYWORDS)
        if isinstance(message, str)
    ]
    assert len(found) > 50  # the extraction sees the answers' words at all
    missing = [m for m in found if not catalog.get(m)]
    assert missing == [], missing
