"""Retrieval quality of full_text, semantic and hybrid on two evaluation sets.

The project set: the shipped public-domain corpus (test/benchmark/corpus/*.txt: 道德经, 论语,
Alice's Adventures in Wonderland, Sherlock Holmes) with the 212 pairs of corpus/eval_pairs.json
(Chinese and English questions and paraphrases). The zh_everyday set: corpus/zh_everyday.json,
original modern-Chinese passages with 108 questions labelled lexical or paraphrase. Each set is
uploaded and built through the API on the embedded profile, in a temporary folder. Each pair
names text that occurs in exactly one passage; a retrieved segment is relevant when it holds
that text. Every query goes through the hit-testing endpoint (k=10, score 0) for each strategy.

Prints recall@1, recall@5 and MRR@10 per set, per language, per kind and overall.
`--chunk-size N` builds with the default separators (AUTOMATIC_RULE's) at N tokens, overlap N/10,
instead of one passage per segment: the chunking lever (500 is the automatic rule).
`--fusion-grid` also prints hybrid's figures for other fusion settings and BM25 parameters,
computed from the same two rankings on both sets (how the defaults were chosen: tuned on one
set, checked on the other).

Run from the repository root:
    .venv/bin/python -m test.benchmark.retrieval_quality [--chunk-size N] [--fusion-grid]
"""

import argparse
import time
import uuid
from collections import Counter

from langchain_core.embeddings import Embeddings

from internal.core.retrieval import keyword_index, strategies
from internal.core.retrieval.fusion import reciprocal_rank_fusion
from internal.core.retrieval.keyword_index import KeywordIndex
from internal.core.text_processing.splitter import AUTOMATIC_RULE
from internal.extension.database import db
from internal.extension.vector_store import VectorStore
from internal.model import Segment
from test.benchmark.common import PASSAGE_RULE, api, build_corpus_dataset, corpus_files, embedded_app, eval_pairs, sign_in, zh_everyday_set

STRATEGIES = ("full_text", "semantic", "hybrid")
K = 10


def relevant(content: str, answers: list[str]) -> bool:
    return any(answer in content for answer in answers)


def first_relevant_rank(contents: list[str], answers: list[str]) -> int | None:
    return next((rank for rank, content in enumerate(contents, start=1) if relevant(content, answers)), None)


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {
        "recall@1": sum(1 for r in ranks if r == 1) / n,
        "recall@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
    }


def print_table(title: str, rows: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"{'strategy':<22}{'group':<14}{'recall@1':>10}{'recall@5':>10}{'mrr@10':>10}")
    for name, by_lang in rows.items():
        for lang, values in by_lang.items():
            print(f"{name:<22}{lang:<14}{values['recall@1']:>10.3f}{values['recall@5']:>10.3f}{values['mrr@10']:>10.3f}")


def by_group(pairs: list[dict], ranks: list[int | None]) -> dict[str, dict[str, float]]:
    """Figures per language, per kind of question (lexical / paraphrase, where labelled) and overall."""
    groups: dict[str, list[int | None]] = {}
    for pair, rank in zip(pairs, ranks, strict=True):
        for key in (pair["lang"], f"{pair['lang']}/{pair['kind']}" if "kind" in pair else None, "all"):
            if key:
                groups.setdefault(key, []).append(rank)
    return {key: metrics(groups[key]) for key in sorted(groups, key=lambda key: (key == "all", key))}


def run_hit_tests(client, member, dataset_id: str, pairs: list[dict]) -> dict[str, list[int | None]]:
    ranks: dict[str, list[int | None]] = {}
    for strategy in STRATEGIES:
        started = time.perf_counter()
        ranks[strategy] = []
        for pair in pairs:
            body = {"query": pair["query"], "retrieval_strategy": strategy, "k": K, "score": 0}
            found = api(client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers))
            ranks[strategy].append(first_relevant_rank([item["content"] for item in found], pair["answers"]))
        elapsed = time.perf_counter() - started
        print(f"  {strategy}: {len(pairs)} hit tests in {elapsed:.1f}s ({1000 * elapsed / len(pairs):.0f} ms each)")
    return ranks


def candidate_rankings(app, dataset_id: str, pairs: list[dict], k1: float, b: float) -> tuple[dict, list]:
    """Segment contents and, per pair, the keyword (BM25 with these parameters) and vector
    rankings, 50 deep, with their scores: what every fusion setting starts from."""
    dataset = uuid.UUID(dataset_id)
    saved = keyword_index.K1, keyword_index.B
    keyword_index.K1, keyword_index.B = k1, b
    try:
        with app.app_context():
            injector = app.extensions["injector"]
            index, store, embeddings = injector.get(KeywordIndex), injector.get(VectorStore), injector.get(Embeddings)
            contents = dict(db.session.execute(db.select(Segment.id, Segment.content).where(Segment.dataset_id == dataset)).all())
            rankings = []
            for pair in pairs:
                keyword = index.search([dataset], pair["query"], 50)
                vector = embeddings.embed_query(pair["query"])
                semantic = [(hit.segment_id, hit.score) for hit in store.search([dataset], vector, 50)]
                rankings.append((keyword, semantic))
            db.session.remove()
    finally:
        keyword_index.K1, keyword_index.B = saved
    return contents, rankings


def fusion_settings() -> dict[str, object]:
    """Name → fuse(keyword, semantic) for every fusion setting the grid compares."""
    settings = {}
    for pool in (20, 50):
        for constant in (10, 60):
            for weights in ((1.0, 1.0), (1.0, 1.5), (1.0, 2.0)):
                settings[f"rrf pool{pool} c{constant} w{weights[0]:g}/{weights[1]:g}"] = (
                    lambda kw, sem, p=pool, c=constant, w=weights: reciprocal_rank_fusion(
                        [[s for s, _ in kw[:p]], [s for s, _ in sem[:p]]], w, c
                    )
                )
    for name, normalise in (("minmax", _min_max), ("max", _by_max), ("dbsf", _three_sigma)):
        for pool in (20, 50):
            for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
                settings[f"{name} pool{pool} a{alpha:g}"] = (
                    lambda kw, sem, p=pool, a=alpha, n=normalise: _convex(kw[:p], sem[:p], a, n)
                )
    for power in (1, 2):
        settings[f"confidence pool20 p{power}"] = lambda kw, sem, p=power: _by_confidence(kw[:20], sem[:20], p)
    return settings


def evaluate(pairs: list[dict], contents: dict, rankings: list, fuse) -> dict[str, dict[str, float]]:
    ranks = []
    for pair, (keyword, semantic) in zip(pairs, rankings, strict=True):
        fused = fuse(keyword, semantic)[:K]
        ranks.append(first_relevant_rank([contents[s] for s in fused], pair["answers"]))
    return by_group(pairs, ranks)


def lever_grid(built: list[tuple[str, object, str, list[dict]]]) -> None:
    """Hybrid for every fusion setting and BM25 parameters, on each set: a setting is chosen on
    the first set (zh MRR@10) and checked on the others."""
    grid: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for k1, b in ((1.2, 0.75), (1.5, 0.75), (0.9, 0.4), (1.2, 0.3), (2.0, 0.75)):
        for set_name, app, dataset_id, pairs in built:
            contents, rankings = candidate_rankings(app, dataset_id, pairs, k1, b)
            for name, fuse in fusion_settings().items():
                row = f"k1={k1:g} b={b:g} {name}"
                grid.setdefault(row, {})[set_name] = evaluate(pairs, contents, rankings, fuse)
            grid.setdefault(f"k1={k1:g} b={b:g} full_text", {})[set_name] = evaluate(
                pairs, contents, rankings, lambda kw, sem: [s for s, _ in kw]
            )
    names = [name for name, *_ in built]
    header = "".join(f"{f'{n} zh r@1':>18}{'mrr@10':>8}" for n in names) + f"{'en r@1':>9}{'mrr@10':>8}"
    print(f"\nlever grid: hybrid fusion x BM25 parameters (zh per set, en of the project set)\n{'setting':<36}{header}")
    tuned_on = names[0]
    ordered = sorted(grid, key=lambda row: -grid[row][tuned_on]["zh"]["mrr@10"])
    for row in ordered:
        cells = "".join(f"{grid[row][n]['zh']['recall@1']:>18.3f}{grid[row][n]['zh']['mrr@10']:>8.3f}" for n in names)
        en = grid[row][names[-1]].get("en") or grid[row][names[0]].get("en") or {"recall@1": 0, "mrr@10": 0}
        print(f"{row:<36}{cells}{en['recall@1']:>9.3f}{en['mrr@10']:>8.3f}")
    best = ordered[0]
    print(f"\nbest on {tuned_on} (zh MRR@10): {best}")
    for n in names:
        print(f"  on {n}: " + ", ".join(f"{g} mrr@10 {v['mrr@10']:.3f} r@1 {v['recall@1']:.3f}" for g, v in grid[best][n].items()))


def _min_max(scored):
    if not scored:
        return {}
    high, low = scored[0][1], scored[-1][1]
    return {s: (v - low) / (high - low) if high > low else 1.0 for s, v in scored}


def _by_max(scored):
    return {s: v / scored[0][1] for s, v in scored} if scored and scored[0][1] > 0 else {}


def _three_sigma(scored):
    if not scored:
        return {}
    values = [v for _, v in scored]
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
    return {s: (v - (mean - 3 * std)) / (6 * std) for s, v in scored}


def _convex(keyword, semantic, alpha, normalise):
    kw, sem = normalise(keyword), normalise(semantic)
    fused = {s: alpha * kw.get(s, 0.0) + (1 - alpha) * sem.get(s, 0.0) for s in {*kw, *sem}}
    return sorted(fused, key=lambda s: -fused[s])


def _margin(scored) -> float:
    """How far a ranking's top score stands above its next four, relative to its range."""
    if len(scored) < 3 or scored[0][1] <= scored[-1][1]:
        return 0.0
    following = [v for _, v in scored[1:5]]
    return (scored[0][1] - sum(following) / len(following)) / (scored[0][1] - scored[-1][1])


def _by_confidence(keyword, semantic, power):
    """min-max fusion weighting each side by its margin**power (equal weights when neither has one)."""
    kw, sem = _margin(keyword) ** power, _margin(semantic) ** power
    alpha = kw / (kw + sem) if kw + sem > 0 else 0.5
    return _convex(keyword, semantic, alpha, _min_max)


def evaluation_sets() -> list[tuple[str, dict[str, bytes], list[dict]]]:
    zh_files, zh_pairs = zh_everyday_set()
    return [("project", corpus_files(), eval_pairs()), ("zh_everyday", zh_files, zh_pairs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fusion-grid", action="store_true", help="also print hybrid for other fusion and BM25 settings")
    parser.add_argument("--chunk-size", type=int, help="default separators at this size instead of a segment per passage")
    args = parser.parse_args()
    rule = PASSAGE_RULE
    if args.chunk_size:
        segment = {**AUTOMATIC_RULE["segment"], "chunk_size": args.chunk_size, "chunk_overlap": args.chunk_size // 10}
        rule = {**AUTOMATIC_RULE, "segment": segment}
    print(f"segments: {rule['segment']['chunk_size']} tokens at most, separators {rule['segment']['separators']}")

    with embedded_app() as app:
        client, member = sign_in(app)
        built = []
        for set_name, files, pairs in evaluation_sets():
            kinds = Counter(f"{p['lang']}/{p.get('kind', 'unlabelled')}" for p in pairs)
            print(f"\n=== set {set_name}: {len(pairs)} pairs ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
            started = time.perf_counter()
            dataset_id, progress = build_corpus_dataset(
                client, member, f"retrieval-quality-{set_name}", files=files, rule=rule
            )
            segments = sum(item["segment_count"] for item in progress)
            print(f"indexed {len(progress)} documents, {segments} segments through the API in {time.perf_counter() - started:.1f}s")
            ranks = run_hit_tests(client, member, dataset_id, pairs)
            results = {strategy: by_group(pairs, ranks[strategy]) for strategy in STRATEGIES}
            print_table(f"results ({set_name}; hybrid: {describe_hybrid()})", results)
            built.append((set_name, app, dataset_id, pairs))
        if args.fusion_grid:
            lever_grid(built)


def describe_hybrid() -> str:
    return (
        f"scores rescaled per side ({strategies.HYBRID_NORMALISATION}), weights {strategies.HYBRID_WEIGHTS[0]:g} "
        f"full_text / {strategies.HYBRID_WEIGHTS[1]:g} semantic, pool {strategies.HYBRID_POOL}; "
        f"BM25 k1={keyword_index.K1:g} b={keyword_index.B:g}"
    )


if __name__ == "__main__":
    main()
