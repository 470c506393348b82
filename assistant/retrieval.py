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

from collections.abc import Callable
from dataclasses import dataclass

from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.evidence import Evidence
from assistant.named import Named
from assistant.types import Passage, document_id
from index.catalog import Catalog
from index.filters import Condition
from index.keyword import KeywordIndex
from index.tokenize import fold
from index.vector import VectorIndex
from ingest.metadata import detect_language

RRF_K = 60.0
# A small push, worth about a top rank in a ranking weighted 0.1: it breaks near-ties in
# favour of documents ABOUT the State, cycle or year a question names, without overriding
# the evidence.
PREFERENCE_STEP = 0.1 / RRF_K
# How much more the keyword ranking counts for a Vietnamese question typed without
# diacritics. Chosen on 24 Vietnamese eval questions of the OTHER types, stripped of their
# diacritics (dense MRR fell 0.906 -> 0.806, keyword stayed 0.625): hybrid MRR on them rose
# 0.833 -> 0.861 at 2 and no further at 3 or 5.
UNDIACRITIZED_KEYWORD_BOOST = 2.0
PER_DOCUMENT = 2  # chunks of one document among the top results before others get a place
ITEM_PASSAGES = 2  # passages of each compared item's document put first for a comparison question


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
        embed = _Once(self.embed_query)  # one question, one embedding, however many searches
        dense, keyword = self._retrievers(embed, conditions, trace)
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
        fused = prefer_named(named, self._fuse(bundle, dense_hits, keyword_hits, trace.keyword_weight))
        ranked = self._compared_first(question, named, diversify(fused, PER_DOCUMENT))
        return cover_compared(named, ranked, top_k), trace

    def _retrievers(
        self, embed: Callable[[str], list[float]], conditions: list[Condition], trace: RetrievalTrace
    ) -> tuple[DenseRetriever, KeywordRetriever]:
        dense = DenseRetriever(
            self.vectors, self.catalog, embed, self.candidate_k, conditions, trace,
            lambda: self.keyword.matching_ids(conditions),
        )  # fmt: skip
        return dense, KeywordRetriever(self.keyword, self.catalog, self.candidate_k, conditions, trace)

    def _fuse(
        self, bundle: QueryBundle, dense_hits: list[NodeWithScore], keyword_hits: list[NodeWithScore], weight: float
    ) -> list[NodeWithScore]:
        fusion = WeightedFusionRetriever(
            retrievers=[_Fixed(dense_hits), _Fixed(keyword_hits)],
            retriever_weights=[1.0, weight],
            mode="reciprocal_rerank",
            num_queries=1,
            use_async=False,
            similarity_top_k=self.candidate_k,
            llm=MockLLM(),  # never called: num_queries=1 generates no queries
        )
        return fusion.retrieve(bundle)

    def _compared_first(self, question: str, named: Named, ranked: list[NodeWithScore]) -> list[NodeWithScore]:
        """For a question that compares ("in 2009 and in 2014", "Brunei, Malaysia and Myanmar"),
        the passages of each compared item's document that best answer it come first. The
        whole-corpus ranking often holds an item's document only through a passage that restates
        the question; the answering sentence ("78 delegations made statements") is found by
        reading the whole document as evidence selection reads passages."""
        per_item = []
        for item in named.compared():
            # a report or news page, read whole; a recommendation database is not one document
            doc = next((n for n in ranked if n.node.metadata.get("doc_type") != "recommendations"
                        and item.is_about(n.node.metadata, n.node.get_content())), None)  # fmt: skip
            if doc is None:
                continue
            rows = self.catalog.document_chunks(document_id(doc.node.node_id, doc.node.metadata))
            passages = [Passage(r.chunk_id, r.text, 0.0, r.metadata) for r in rows]
            best = Evidence(question, passages).best
            order = sorted(range(len(passages)), key=lambda i: -best[i].score)[:ITEM_PASSAGES]
            per_item.append([NodeWithScore(node=TextNode(id_=rows[i].chunk_id, text=rows[i].text,
                                                         metadata=rows[i].metadata), score=doc.score)
                             for i in order])  # fmt: skip
        first: dict[str, NodeWithScore] = {}
        for rank in range(ITEM_PASSAGES):  # each item's best, then each item's second best
            for hits in per_item:
                if rank < len(hits):
                    first.setdefault(hits[rank].node.node_id, hits[rank])
        return [*first.values(), *(n for n in ranked if n.node.node_id not in first)]


class _Once:
    """``embed`` called at most once: the dense searches of one question share its vector."""

    def __init__(self, embed: Callable[[str], list[float]]) -> None:
        self._embed = embed
        self._vector: list[float] | None = None

    def __call__(self, text: str) -> list[float]:
        if self._vector is None:
            self._vector = self._embed(text)
        return self._vector


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


def cover_compared(named: Named, nodes: list[NodeWithScore], top_k: int) -> list[NodeWithScore]:
    """The first ``top_k`` nodes, where a comparison question ("in 2009 and in 2014") has the best
    passage about each item it compares: one found further down takes the place of the lowest
    passage that is not some item's only one."""
    top, rest = list(nodes[:top_k]), list(nodes[top_k:])
    items = named.compared()

    def about(n: NodeWithScore, item: Named) -> bool:
        return item.is_about(n.node.metadata, n.node.get_content())

    def needed(n: NodeWithScore) -> bool:
        return any(about(n, item) and sum(about(m, item) for m in top) == 1 for item in items)

    for item in items:
        extra = None if any(about(n, item) for n in top) else next((n for n in rest if about(n, item)), None)
        spare = next((n for n in reversed(top) if not needed(n)), None) if extra else None
        if extra and spare:
            top.remove(spare)
            top.append(extra)
            rest.remove(extra)
    return top


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
