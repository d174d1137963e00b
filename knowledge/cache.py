"""The parsed knowledge and its search index, cached between runs.

Parsing the YAML, validating every entry and building the search index take
longer than starting the interpreter and importing the database stack. The
result depends on nothing but the content files, this package's code and the
meaning model's files (``knowledge.semantic``: the entries' vectors are kept),
so it is pickled once and reused while they stay the same.

- The key is a SHA-256 over this package's source, the Python version, the
  stemmer's and the meaning model's files (size and time), and the bytes of
  every content file: the shipped content and every file of every
  ``COS_KNOWLEDGE_DIR``. Any edit, added or removed file changes it.
- One cache file per set of directories, in ``COS_CACHE_DIR`` (default
  ``$XDG_CACHE_HOME/cos-bot``, else ``~/.cache/cos-bot``); ``COS_CACHE_DIR=off``
  turns it off.
- A file that is not ours (another owner, writable by others), truncated,
  corrupt or built from other content is ignored and replaced. A cache
  directory that cannot be written only costs the speed: nothing fails.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import snowballstemmer
import yaml
from breame.data import spelling_constants

from knowledge.loader import CONTENT_DIR, KnowledgeBase, _content_files, load_knowledge
from knowledge.search import Searcher
from knowledge.semantic import model_files

__all__ = ["LoadedKnowledge", "cache_file", "content_key", "load_cached"]

log = logging.getLogger(__name__)

_FORMAT = b"cos-bot knowledge cache 2\n"
_PACKAGE_DIR = Path(__file__).resolve().parent
# Older cache files beyond this many (other directory sets, test runs) are removed on write.
_KEEP_FILES = 8


@dataclass(frozen=True, slots=True)
class LoadedKnowledge:
    """The knowledge base, its index, and whether they came from the cache."""

    kb: KnowledgeBase
    searcher: Searcher
    from_cache: bool


def _file_digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError as exc:
        # The loader reports it as a problem; the key still changes once it becomes readable.
        return f"unreadable:{exc.errno}".encode()


def _file_stamp(*paths: Path) -> str:
    """Size and modification time of ``paths``: changes when a package holding them is upgraded."""
    try:
        return ":".join(f"{(st := path.stat()).st_size}:{st.st_mtime_ns}" for path in paths)
    except OSError:
        return "?"


def _stemmer_stamp() -> str:
    """Changes when snowballstemmer is upgraded (its stems are in the index); it has no __version__."""
    return _file_stamp(Path(snowballstemmer.__file__ or "").with_name("english_stemmer.py"))


def _spelling_stamp() -> str:
    """Changes when breame's list of British spellings changes (the index holds the words it spelled)."""
    return _file_stamp(Path(spelling_constants.__file__ or ""))


def _model_stamp() -> str:
    """Changes when the meaning model's files change or appear (``knowledge.semantic``): its vectors are cached."""
    files = model_files()
    return "no model" if files is None else _file_stamp(*files)


def _directories(extra_dirs: Iterable[Path], content_dir: Path) -> list[Path]:
    return [content_dir, *extra_dirs]


def content_key(extra_dirs: Iterable[Path] = (), *, content_dir: Path = CONTENT_DIR) -> str:
    """What the loaded knowledge depends on, as one hex digest."""
    h = hashlib.sha256(_FORMAT)
    h.update(
        f"{sys.implementation.cache_tag}:{pickle.HIGHEST_PROTOCOL}:{yaml.__version__}:{_stemmer_stamp()}:"
        f"{_spelling_stamp()}:{_model_stamp()}\0".encode()
    )
    for source in sorted(_PACKAGE_DIR.glob("*.py")):
        h.update(source.name.encode() + b"\0" + _file_digest(source))
    for directory in _directories(extra_dirs, content_dir):
        h.update(b"\0dir\0" + str(directory).encode("utf-8", "surrogateescape") + b"\0")
        try:
            files = _content_files(directory)
        except OSError:
            h.update(b"missing")
            continue
        for path in files:
            h.update(path.name.encode("utf-8", "surrogateescape") + b"\0" + _file_digest(path))
    return h.hexdigest()


def cache_file(cache_dir: Path, extra_dirs: Iterable[Path] = (), *, content_dir: Path = CONTENT_DIR) -> Path:
    """The cache file for this set of directories (its content key is inside)."""
    names = "\0".join(str(d) for d in _directories(extra_dirs, content_dir))
    return cache_dir / f"knowledge-{hashlib.sha256(names.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}.pickle"


def _read(path: Path, key: str) -> tuple[KnowledgeBase, Searcher] | None:
    try:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            # Unpickling runs code: only a file this user wrote and nobody else can change.
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                log.warning("knowledge cache %s is not private to this user; ignoring it", path)
                return None
            header = fh.read(len(_FORMAT) + len(key) + 1)
            if header != _FORMAT + key.encode() + b"\n":
                return None
            data = pickle.loads(fh.read())
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a broken cache is rebuilt, never fatal
        log.info("knowledge cache %s is unreadable (%s); rebuilding it", path, type(exc).__name__)
        return None
    if (
        not isinstance(data, tuple)
        or len(data) != 2
        or not isinstance(data[0], KnowledgeBase)
        or not isinstance(data[1], Searcher)
    ):
        return None
    return data[0], data[1]


def _prune(cache_dir: Path, keep: Path) -> None:
    others = [p for p in cache_dir.glob("knowledge-*.pickle") if p != keep]
    if len(others) < _KEEP_FILES:
        return
    others.sort(key=lambda p: p.stat().st_mtime)
    for old in others[: len(others) - _KEEP_FILES + 1]:
        old.unlink(missing_ok=True)


def _write(path: Path, key: str, kb: KnowledgeBase, searcher: Searcher) -> None:
    try:
        payload = pickle.dumps((kb, searcher), protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".knowledge-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_FORMAT + key.encode() + b"\n")
                fh.write(payload)
            # Readers see the old file or the new one, never half of one.
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path.parent, path)
    except Exception as exc:  # noqa: BLE001 - the cache only saves time
        log.debug("knowledge cache not written to %s: %s", path, exc)


def load_cached(
    extra_dirs: Iterable[Path] = (), *, cache_dir: Path | None, content_dir: Path = CONTENT_DIR
) -> LoadedKnowledge:
    """The knowledge base and its index: from the cache when the content is unchanged, else built (and cached)."""
    dirs = list(extra_dirs)
    if cache_dir is None:
        kb = load_knowledge(dirs, content_dir=content_dir)
        return LoadedKnowledge(kb, Searcher(kb), from_cache=False)
    key = content_key(dirs, content_dir=content_dir)
    path = cache_file(cache_dir, dirs, content_dir=content_dir)
    cached = _read(path, key)
    if cached is not None:
        kb, searcher = cached
        for problem in kb.problems:  # the same warnings as a fresh load
            logging.getLogger("knowledge.loader").warning("knowledge: %s", problem)
        return LoadedKnowledge(kb, searcher, from_cache=True)
    kb = load_knowledge(dirs, content_dir=content_dir)
    searcher = Searcher(kb)
    searcher.semantic()  # the entries' vectors are cached with the index
    # A file edited while it was being read: keep the result, but do not file it under either version.
    if content_key(dirs, content_dir=content_dir) == key:
        _write(path, key, kb, searcher)
    return LoadedKnowledge(kb, searcher, from_cache=False)
