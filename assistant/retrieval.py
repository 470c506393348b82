"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused by weighted reciprocal rank.

Plain RRF hurts cross-lingual questions: for an English question over Vietnamese text,
BM25 ranks the right chunk in the hundreds and drags it down. So the keyword ranking's
weight depends on its own confidence (the share of the question's terms its best hit
contains) and on the question's language; the dense ranking always counts fully. A
Vietnamese question typed without diacritics is the exception: the dense model reads it
poorly while the keyword index folds diacritics on both sides, so BM25 counts double there.

After fusion, a question that names a State, a UPR cycle or a year prefers the passages whose
document metadata matches it (``prefer_named``): metadata is language-neutral, so this is the
part of the ranking that works across languages where BM25 cannot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.text import cycles_in
from assistant.types import document_id
from index.catalog import Catalog
from index.filters import Condition
from index.keyword import KeywordIndex
from index.states import VIET_NAM, find_states, mentions_state, state_key
from index.tokenize import fold
from index.vector import VectorIndex
from ingest.metadata import detect_language, year_of_session

RRF_K = 60.0
# A small push, worth about a top rank in a ranking weighted 0.1: it breaks near-ties in
# favour of documents ABOUT the State, cycle or year a question names, without overriding
# the evidence.
PREFERENCE_STEP = 0.1 / RRF_K
_FOLLOW_UP = re.compile(r"\b(?:implement\w*|follow[- ]?up|progress|thuc hien|trien khai)\b")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# How much more the keyword ranking counts for a Vietnamese question typed without
# diacritics. Chosen on 24 Vietnamese eval questions of the OTHER types, stripped of their
# diacritics (dense MRR fell 0.906 -> 0.806, keyword stayed 0.625): hybrid MRR on them rose
# 0.833 -> 0.861 at 2 and no further at 3 or 5.
UNDIACRITIZED_KEYWORD_BOOST = 2.0
PER_DOCUMENT = 2  # chunks of one document among the top results before others get a place


@dataclass
class RetrievalTrace:
    """Evidence about one retrieval, used by the refusal decision and the eval report."""

    dense_top: float = 0.0  # best cosine similarity
    keyword_coverage: float = 0.0  # share of question terms in the best keyword hit
    keyword_weight: float = 0.0
    language: str = "vi"  # of the question


def _nodes(catalog: Catalog, hits: list[tuple[str, float]]) -> list[NodeWithScore]:
    rows = catalog.get_chunks([cid for cid, _ in hits])
    return [
        NodeWithScore(node=TextNode(id_=cid, text=rows[cid].text, metadata=rows[cid].metadata), score=score)
        for cid, score in hits
        if cid in rows
    ]


class DenseRetriever(BaseRetriever):
    """Chroma nearest neighbours of the query embedding, with metadata filters."""

    def __init__(
        self,
        vectors: VectorIndex,
        catalog: Catalog,
        embed_query: Callable[[str], list[float]],
        top_k: int,
        conditions: list[Condition],
        trace: RetrievalTrace,
        allowed: Callable[[], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self._vectors, self._catalog, self._embed = vectors, catalog, embed_query
        self._top_k, self._conditions, self._trace, self._allowed = top_k, conditions, trace, allowed

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._vectors.query(
            self._embed(query_bundle.query_str), self._top_k, self._conditions, self._allowed
        )
        self._trace.dense_top = max((s for _, s in hits), default=0.0)
        return _nodes(self._catalog, hits)


class KeywordRetriever(BaseRetriever):
    """BM25 over diacritic-folded syllables, bigrams and pyvi words, with the same filters."""

    def __init__(
        self, keyword: KeywordIndex, catalog: Catalog, top_k: int, conditions: list[Condition], trace: RetrievalTrace
    ) -> None:
        super().__init__()
        self._keyword, self._catalog, self._top_k, self._conditions, self._trace = (
            keyword,
            catalog,
            top_k,
            conditions,
            trace,
        )

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._keyword.search(query_bundle.query_str, self._top_k, self._conditions)
        self._trace.keyword_coverage = hits[0][2] if hits else 0.0
        return _nodes(self._catalog, [(cid, score) for cid, score, _ in hits])


class WeightedFusionRetriever(QueryFusionRetriever):
    """``QueryFusionRetriever`` whose reciprocal-rank fusion honours ``retriever_weights``."""

    def _reciprocal_rerank_fusion(self, results: dict[tuple[str, int], list[NodeWithScore]]) -> list[NodeWithScore]:
        fused: dict[str, float] = {}
        by_id: dict[str, NodeWithScore] = {}
        for (_query, idx), nodes in results.items():
            weight = self._retriever_weights[idx]
            for rank, nws in enumerate(sorted(nodes, key=lambda n: n.score or 0.0, reverse=True)):
                fused[nws.node.node_id] = fused.get(nws.node.node_id, 0.0) + weight / (rank + RRF_K)
                by_id.setdefault(nws.node.node_id, nws)
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)
        return [NodeWithScore(node=by_id[cid].node, score=score) for cid, score in ranked]


def same_language_share(dense_hits: list[NodeWithScore], language: str, depth: int = 5) -> float:
    """Share of the dense top hits written in the question's language, 0 when the very best
    one is not. Where the dense model finds the other language relevant, the question is
    (probably) cross-lingual and BM25, which can only match the question's own language,
    would drag the right passages down: the dense ranking then leads."""
    langs = [n.node.metadata.get("language") for n in dense_hits[:depth]]
    if not langs or any(lang != language for lang in langs[:3]):
        return 0.0
    return sum(1 for lang in langs if lang == language) / len(langs)


def keyword_weight(coverage: float, language: str) -> float:
    """How much the BM25 ranking counts next to the dense one (which counts 1.0)."""
    confidence = min(1.0, max(0.1, (coverage - 0.2) / 0.4))
    return confidence * (0.6 if language == "en" else 1.0)


def typed_without_diacritics(question: str, language: str) -> bool:
    """A Vietnamese question typed without diacritics ("chap thuan bao nhieu"): the dense
    model reads it poorly, the keyword index (diacritics folded on both sides) not at all worse."""
    return language == "vi" and fold(question) == question.lower()


class HybridSearch:
    """Builds the per-question retrievers and fuses them; one instance serves every request."""

    def __init__(
        self,
        catalog: Catalog,
        vectors: VectorIndex,
        keyword: KeywordIndex,
        embed_query: Callable[[str], list[float]],
        candidate_k: int,
    ) -> None:
        self.catalog, self.vectors, self.keyword = catalog, vectors, keyword
        self.embed_query, self.candidate_k = embed_query, candidate_k

    def retrieve(
        self, question: str, top_k: int, conditions: list[Condition], mode: str = "hybrid"
    ) -> tuple[list[NodeWithScore], RetrievalTrace]:
        """Top passages for ``question`` under ``conditions``; mode is hybrid, dense or keyword."""
        trace = RetrievalTrace(language=detect_language(question))
        dense = DenseRetriever(
            self.vectors, self.catalog, self.embed_query, self.candidate_k, conditions, trace,
            lambda: self.keyword.matching_ids(conditions),
        )
        keyword = KeywordRetriever(self.keyword, self.catalog, self.candidate_k, conditions, trace)
        bundle = QueryBundle(question)
        if mode == "dense":
            return dense.retrieve(bundle)[:top_k], trace
        if mode == "keyword":
            return keyword.retrieve(bundle)[:top_k], trace
        keyword_hits = keyword.retrieve(bundle)
        dense_hits = dense.retrieve(bundle)
        # The language of the dense hits ABOUT what the question names: a Vietnamese question
        # about Malaysia draws Vietnamese news about Viet Nam first (the model's language bias),
        # but the passages about Malaysia are English, so BM25 must not lead there.
        named = Named.of(question)
        on_topic = [n for n, off in zip(dense_hits, off_topic(named, dense_hits), strict=True) if not off]
        trace.keyword_weight = keyword_weight(trace.keyword_coverage, trace.language) * same_language_share(
            on_topic, trace.language
        )
        if typed_without_diacritics(question, trace.language):
            trace.keyword_weight *= UNDIACRITIZED_KEYWORD_BOOST
        fusion = WeightedFusionRetriever(
            retrievers=[_Fixed(dense_hits), _Fixed(keyword_hits)],
            retriever_weights=[1.0, trace.keyword_weight],
            mode="reciprocal_rerank",
            num_queries=1,
            use_async=False,
            similarity_top_k=self.candidate_k,
            llm=MockLLM(),  # never called: num_queries=1 generates no queries
        )
        fused = prefer_named(named, fusion.retrieve(bundle))
        return diversify(fused, PER_DOCUMENT)[:top_k], trace


@dataclass(frozen=True)
class Named:
    """The States (UN short names), UPR cycles and years a question names."""

    states: frozenset[str]
    cycles: frozenset[int]
    years: frozenset[int]
    # Implementation of one cycle's recommendations is reported in the next cycle's documents.
    later_cycles_too: bool = False

    @classmethod
    def of(cls, question: str) -> Named:
        return cls(
            frozenset(name for name, _ in find_states(question)),
            frozenset(cycles_in(question)),
            frozenset(int(y) for y in _YEAR.findall(question)),
            bool(_FOLLOW_UP.search(fold(question))),
        )

    @cached_property
    def state_keys(self) -> frozenset[str]:
        return frozenset(state_key(state) for state in self.states)

    def verdicts(self, meta: dict[str, Any], text: str) -> tuple[bool | None, bool | None]:
        """Per criterion: True (the passage is about what the question names), False (its
        metadata says it is about something else), None (the question or metadata is silent)."""
        return self._state(meta, text), self._time(meta, text)

    def _state(self, meta: dict[str, Any], text: str) -> bool | None:
        """The State a passage is about: its document's (or record's) State under review; for
        a passage without one, a named State it mentions, else Viet Nam when it is Vietnamese
        (the Vietnamese news and plans here are about Viet Nam), else unknown."""
        if not self.states:
            return None
        subject = meta.get("country") or meta.get("record_sur")
        if subject:
            return _subject_key(str(subject)) in self.state_keys
        if any(mentions_state(text, state) for state in self.states):
            return True
        return VIET_NAM in self.states if meta.get("language") == "vi" else None

    def _time(self, meta: dict[str, Any], text: str) -> bool | None:
        """A passage matches when its document's cycle is a named cycle, its document's year a
        named year, or the passage itself speaks of a named cycle (a news item filed under
        cycle IV may report the results of cycle III)."""
        cycle = _number(meta.get("cycle")) if self.cycles else None
        years = document_years(meta) if self.years else set()
        if cycle is None and not years:
            return None
        later = self.later_cycles_too and cycle is not None and cycle > min(self.cycles)
        if (cycle is not None and cycle in self.cycles) or later or years & self.years:
            return True
        return bool(self.cycles and cycles_in(text) & self.cycles)


_subject_key = lru_cache(maxsize=4096)(state_key)  # every spelling of a State, one key


def document_years(meta: dict[str, Any]) -> set[int]:
    """Years a passage's document is dated to: its date's year (the ``year`` ingest stores on
    every chunk), and for a Working Group report the year its session was held."""
    return {y for y in (_number(meta.get("year")), year_of_session(_number(meta.get("session")))) if y}


def _number(value: object) -> int | None:
    """A whole-number metadata value (cycle, session), None when it is missing or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def prefer_named(named: Named, nodes: list[NodeWithScore]) -> list[NodeWithScore]:
    """A question that names a State, a UPR cycle or a year prefers documents ABOUT it.

    Per criterion, when some candidates' metadata matches what the question names,
    candidates whose metadata says otherwise step back a little; candidates whose
    metadata is silent on it keep their place. Metadata is language-neutral, so this
    also works where the words cannot match: "Campuchia" finds the Cambodia report,
    "second UPR cycle" the Vietnamese news about chu kỳ II."""
    steps = [PREFERENCE_STEP * n for n in off_topic(named, nodes)]
    if not any(steps):
        return nodes
    rescored = [NodeWithScore(node=n.node, score=(n.score or 0.0) - s) for n, s in zip(nodes, steps, strict=True)]
    return sorted(rescored, key=lambda n: n.score or 0.0, reverse=True)


def off_topic(named: Named, nodes: list[NodeWithScore]) -> list[int]:
    """For each candidate, on how many criteria its metadata contradicts what the question
    names (counted only for a criterion that some candidate meets)."""
    verdicts = [named.verdicts(n.node.metadata, n.node.get_content()) for n in nodes]
    counts = [0] * len(nodes)
    for column in zip(*verdicts):  # one criterion across the candidates
        if True in column:
            counts = [count + (verdict is False) for count, verdict in zip(counts, column, strict=True)]
    return counts


def diversify(nodes: list[NodeWithScore], per_document: int) -> list[NodeWithScore]:
    """Keep the order, but let no document take more than ``per_document`` places before
    every other document has had its turn: five chunks of one report hide the others."""
    seen: dict[str, int] = {}
    first, later = [], []
    for nws in nodes:
        doc = document_id(nws.node.node_id, nws.node.metadata)
        seen[doc] = seen.get(doc, 0) + 1
        (first if seen[doc] <= per_document else later).append(nws)
    return first + later


class _Fixed(BaseRetriever):
    """A retriever that returns results computed already (so fusion sees both rankings)."""

    def __init__(self, nodes: list[NodeWithScore]) -> None:
        super().__init__()
        self._fixed = nodes

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._fixed
