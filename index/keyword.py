"""BM25 keyword index over the catalog's chunk tokens, updated incrementally.

It always holds exactly the catalog's chunk ids. It is a list of segments (``index.bm25``):
after an ingest, the documents that appeared get a small new segment and the rows of
documents that went away are masked out, so a small ingest costs what it adds, not what
the whole index holds. When the small segments and masked rows outgrow a share of the
index, it is rebuilt as one segment (compaction). Scores are the same either way: every
segment is scored with the statistics of all live rows. Saved in the data dir (memory-mapped
arrays + ``manifest.json`` naming the segments and the catalog version they reflect).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import bm25
from index.bm25 import Segment
from index.catalog import Catalog
from index.filters import Condition
from index.tokenize import keyword_tokens

VERSION_KEY = "chunks_version"
FORMAT = 2
# Rebuild as one segment when rows outside the first segment (added or masked) exceed this
# share of the index, but never for fewer rows than COMPACT_MIN_ROWS (small indexes just grow).
COMPACT_SHARE = 0.1
COMPACT_MIN_ROWS = 5000
MAX_SMALL_SEGMENTS = 8  # beyond this, the small segments are merged into one (cost: their rows)
STALE_AFTER_S = 600  # unreferenced segment folders older than this were left by another process
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """Segments, which of their documents are gone, and the catalog version they reflect."""

    segments: tuple[Segment, ...]
    dead: tuple[frozenset[str], ...]  # per segment: documents no longer in the catalog
    version: str
    live: tuple[np.ndarray, ...] = field(init=False)
    stats: tuple[int, float] = field(init=False)

    def __post_init__(self) -> None:
        live = tuple(_live(s, d) for s, d in zip(self.segments, self.dead))
        object.__setattr__(self, "live", live)
        object.__setattr__(self, "stats", bm25.stats(self.segments, live))

    def documents(self) -> set[str]:
        return {d for s, dead in zip(self.segments, self.dead) for d in s.doc_ids if d not in dead}

    def rows(self) -> int:
        return self.stats[0]


def _live(segment: Segment, dead: frozenset[str]) -> np.ndarray:
    if not dead:
        return np.ones(segment.size, dtype=bool)
    codes = [i for i, d in enumerate(segment.doc_ids) if d in dead]
    return ~np.isin(segment.doc_codes, codes)


class KeywordIndex:
    """BM25 over chunk tokens with the same metadata filters as the vector store."""

    def __init__(self, directory: Path, catalog: Catalog) -> None:
        self.directory = directory
        self.catalog = catalog
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._superseded: set[str] = set()  # segment folders this process replaced

    @property
    def version(self) -> str | None:
        """Catalog version the loaded index reflects."""
        return self._snap.version if self._snap else None

    def ensure_current(self) -> None:
        """Bring the index up to the catalog: take the saved one if another process already did,
        else add and mask what changed since the one in memory (or on disk)."""
        want = self.catalog.get_state(VERSION_KEY) or "0"
        with self._lock:
            if self._snap and self._snap.version == want:
                return
            saved = self._load(self._snap)
            if saved and saved.version == want and saved.rows() == self.catalog.count_chunks():
                self._snap = saved
                return
            base = self._snap or saved
            snap = self._update(base, want)
            self._save(snap, base)
            self._snap = snap

    def ids(self) -> list[str]:
        self.ensure_current()
        snap = self._snap
        assert snap is not None
        return [cid for s, live in zip(snap.segments, snap.live) for cid, ok in zip(s.ids, live) if ok]

    def search(self, query: str, top_k: int, conditions: list[Condition]) -> list[tuple[str, float, float]]:
        """(chunk id, BM25 score, share of query terms matched) best first."""
        self.ensure_current()
        snap = self._snap
        assert snap is not None
        found = bm25.scores(snap.segments, snap.live, snap.stats, Counter(keyword_tokens(query)))
        if found is None:
            return []
        candidates: list[tuple[str, float]] = []
        for segment, scores in zip(snap.segments, found):
            if conditions:
                scores = np.where(segment.mask(conditions), scores, 0.0)
            candidates += bm25.top(scores, segment.ids, top_k)
        hits = sorted(candidates, key=lambda hit: (-hit[1], hit[0]))[:top_k]
        query_terms = {t for t in keyword_tokens(query, segment_words=False) if "_" not in t}
        rows = self.catalog.get_chunks([cid for cid, _ in hits])
        out = []
        for cid, score in hits:
            terms = set(rows[cid].keywords.split()) if cid in rows else set()
            out.append((cid, score, len(query_terms & terms) / len(query_terms) if query_terms else 0.0))
        return out

    def matching_ids(self, conditions: list[Condition]) -> list[str]:
        """Ids of the live chunks that meet ``conditions`` (from the filter columns, no metadata read)."""
        self.ensure_current()
        snap = self._snap
        assert snap is not None
        out: list[str] = []
        for segment, live in zip(snap.segments, snap.live):
            rows = np.flatnonzero(segment.mask(conditions) & live)
            out.extend(segment.ids[i] for i in rows)
        return out

    # --- keeping up with the catalog -------------------------------------------------------------
    def _update(self, snap: Snapshot | None, version: str) -> Snapshot:
        """Diff by document (a document id's chunks never change): mask the gone, add the new."""
        if snap is None:
            return self._rebuild(version)
        current = self.catalog.chunk_doc_ids()
        known = snap.documents()
        gone, new = known - current, current - known
        segments = list(snap.segments)
        dead = [d | (gone & set(s.doc_ids)) for s, d in zip(segments, snap.dead)]
        if new:
            segments.append(self._segment(sorted(new)))
            dead.append(frozenset())
        if _outside_first(segments, dead) > max(COMPACT_MIN_ROWS, COMPACT_SHARE * sum(s.size for s in segments)):
            return self._rebuild(version)
        if len(segments) > 1 + MAX_SMALL_SEGMENTS:
            merged = sorted(set().union(*(set(s.doc_ids) - d for s, d in zip(segments[1:], dead[1:]))))
            segments, dead = segments[:1], dead[:1]
            if merged:
                segments.append(self._segment(merged))
                dead.append(frozenset())
        return Snapshot(tuple(segments), tuple(dead), version)

    def _rebuild(self, version: str) -> Snapshot:
        started = time.monotonic()
        segment = self._segment(None)
        log.info("keyword index rebuilt: %d chunks in %.1f s", segment.size, time.monotonic() - started)
        return Snapshot((segment,) if segment.size else (), (frozenset(),) if segment.size else (), version)

    def _segment(self, doc_ids: list[str] | None) -> Segment:
        return bm25.build(self.catalog.iter_keyword_rows(bm25.FIELDS, doc_ids))

    # --- persistence -------------------------------------------------------------------------
    def _load(self, reuse: Snapshot | None) -> Snapshot | None:
        """The saved index (segments already in memory are reused), or None."""
        manifest_path = self.directory / "manifest.json"
        if not manifest_path.exists():
            return None
        in_memory = {s.path.name: s for s in reuse.segments if s.path} if reuse else {}
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                return None
            listed = manifest["segments"]
            segments = tuple(in_memory.get(e["dir"]) or Segment.load(self.directory / e["dir"]) for e in listed)
            return Snapshot(segments, tuple(frozenset(e["dead"]) for e in listed), manifest["version"])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("keyword index in %s is unreadable (%s); it will be rebuilt", self.directory, exc)
            return None

    def _save(self, snap: Snapshot, previous: Snapshot | None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for segment in snap.segments:
            # A folder another process deleted is still readable here (memory-mapped): write it again.
            if segment.path is None or segment.path.parent != self.directory or not segment.path.exists():
                segment.save(self.directory / f"seg-{uuid.uuid4().hex[:12]}")
        listed = [{"dir": s.path.name, "dead": sorted(d)} for s, d in zip(snap.segments, snap.dead) if s.path]
        manifest = {"format": FORMAT, "version": snap.version, "segments": listed}
        tmp = self.directory / f"manifest.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        os.replace(tmp, self.directory / "manifest.json")
        if previous:
            self._superseded |= {s.path.name for s in previous.segments if s.path}
        self._collect({s.path.name for s in snap.segments if s.path})

    def _collect(self, keep: set[str]) -> None:
        """Delete segment folders no manifest needs: those this process replaced at once, others
        (a crashed or concurrent writer's) once they are old; and the pre-segment format."""
        for path in self.directory.iterdir():
            if path.name in keep:
                continue
            try:
                age = time.time() - path.stat().st_mtime
            except OSError:  # removed meanwhile by another process
                continue
            stale = path.name.startswith(("seg-", "manifest.")) and age > STALE_AFTER_S
            if path.name in ("bm25", "ids.json") or path.name in self._superseded or stale:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                self._superseded.discard(path.name)


def _outside_first(segments: list[Segment], dead: list[frozenset[str]]) -> int:
    """Rows a compaction would tidy: those of the small segments, and masked rows of the first."""
    if not segments:
        return 0
    masked = segments[0].size - int(np.count_nonzero(_live(segments[0], dead[0])))
    return masked + sum(s.size for s in segments[1:])
