"""Knowledge store: content files, loader, validator and search."""

from knowledge.loader import CONTENT_DIR, KnowledgeBase, LoadProblem, load_knowledge
from knowledge.model import Entry
from knowledge.search import Hit, Searcher

__all__ = ["CONTENT_DIR", "Entry", "Hit", "KnowledgeBase", "LoadProblem", "Searcher", "load_knowledge"]
