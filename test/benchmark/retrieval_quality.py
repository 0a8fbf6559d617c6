"""Retrieval quality of full_text, semantic and hybrid on the shipped public-domain corpus.

The corpus (test/benchmark/corpus/*.txt: 道德经, 论语, Alice's Adventures in Wonderland, Sherlock
Holmes) is uploaded and built through the API on the embedded profile, in a temporary folder.
Each of the 212 pairs in corpus/eval_pairs.json (Chinese and English questions and paraphrases)
names text that occurs in exactly one passage; a retrieved segment is relevant when it holds that
text. Every query goes through the hit-testing endpoint (k=10, score 0) for each strategy.

Prints recall@1, recall@5 and MRR@10 per language and overall, and hybrid's gain over the better
of the two single strategies. `--fusion-grid` also prints hybrid's figures for other fusion
settings, computed from the same two rankings (how the defaults were chosen).

Run from the repository root:
    .venv/bin/python -m test.benchmark.retrieval_quality [--fusion-grid]
"""

import argparse
import time
import uuid

from langchain_core.embeddings import Embeddings

from internal.core.retrieval import strategies
from internal.core.retrieval.fusion import reciprocal_rank_fusion
from internal.core.retrieval.keyword_index import KeywordIndex
from internal.extension.database import db
from internal.extension.vector_store import VectorStore
from internal.model import Segment
from test.benchmark.common import api, build_corpus_dataset, embedded_app, eval_pairs, sign_in

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
    print(f"{'strategy':<22}{'lang':<6}{'recall@1':>10}{'recall@5':>10}{'mrr@10':>10}")
    for name, by_lang in rows.items():
        for lang, values in by_lang.items():
            print(f"{name:<22}{lang:<6}{values['recall@1']:>10.3f}{values['recall@5']:>10.3f}{values['mrr@10']:>10.3f}")


def by_language(pairs: list[dict], ranks: list[int | None]) -> dict[str, dict[str, float]]:
    result = {}
    for lang in ("zh", "en", "all"):
        chosen = [rank for pair, rank in zip(pairs, ranks, strict=True) if lang == "all" or pair["lang"] == lang]
        result[lang] = metrics(chosen)
    return result


def run_hit_tests(client, member, dataset_id: str, pairs: list[dict]) -> dict[str, list[int | None]]:
    ranks: dict[str, list[int | None]] = {}
    for strategy in STRATEGIES:
        started = time.perf_counter()
        ranks[strategy] = []
        for pair in pairs:
            body = {"query": pair["query"], "retrieval_strategy": strategy, "k": K, "score": 0}
            found = api(client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers))
            ranks[strategy].append(first_relevant_rank([item["content"] for item in found], pair["answers"]))
        print(f"  {strategy}: {len(pairs)} hit tests in {time.perf_counter() - started:.1f}s")
    return ranks


def fusion_grid(app, dataset_id: str, pairs: list[dict]) -> None:
    """Hybrid figures for other fusion settings, from the same keyword and vector rankings."""
    dataset = uuid.UUID(dataset_id)
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

    def evaluate(fuse) -> dict[str, dict[str, float]]:
        ranks = []
        for pair, (keyword, semantic) in zip(pairs, rankings, strict=True):
            fused = fuse(keyword, semantic)[:K]
            ranks.append(first_relevant_rank([contents[s] for s in fused], pair["answers"]))
        return by_language(pairs, ranks)

    rows = {}
    for pool in (10, 20, 50):
        for constant in (10, 60):
            for weights in ((1.0, 1.0), (1.0, 1.5), (1.5, 1.0)):
                rows[f"rrf pool{pool} c{constant} w{weights[0]:g}/{weights[1]:g}"] = evaluate(
                    lambda kw, sem, p=pool, c=constant, w=weights: reciprocal_rank_fusion(
                        [[s for s, _ in kw[:p]], [s for s, _ in sem[:p]]], w, c
                    )
                )
    for name, normalise in (("minmax", _min_max), ("max", _by_max), ("dbsf", _three_sigma)):
        for pool in (20, 50):
            for alpha in (0.3, 0.4, 0.5, 0.6):
                rows[f"{name} pool{pool} a{alpha:g}"] = evaluate(
                    lambda kw, sem, p=pool, a=alpha, n=normalise: _convex(kw[:p], sem[:p], a, n)
                )
    print_table("hybrid fusion settings", rows)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fusion-grid", action="store_true", help="also print hybrid for other fusion settings")
    args = parser.parse_args()

    pairs = eval_pairs()
    print(f"evaluation set: {len(pairs)} pairs ({sum(p['lang'] == 'zh' for p in pairs)} zh, {sum(p['lang'] == 'en' for p in pairs)} en)")
    with embedded_app() as app:
        client, member = sign_in(app)
        started = time.perf_counter()
        dataset_id, progress = build_corpus_dataset(client, member, "retrieval-quality")
        segments = sum(item["segment_count"] for item in progress)
        print(f"indexed {len(progress)} documents, {segments} segments through the API in {time.perf_counter() - started:.1f}s")

        ranks = run_hit_tests(client, member, dataset_id, pairs)
        results = {strategy: by_language(pairs, ranks[strategy]) for strategy in STRATEGIES}
        print(
            f"hybrid: scores rescaled to 0-1 per side (min-max) and added with weights "
            f"{strategies.HYBRID_WEIGHTS[0]:g} (full_text) / {strategies.HYBRID_WEIGHTS[1]:g} (semantic), "
            f"pool {strategies.HYBRID_POOL} per side"
        )
        print_table("results", results)

        print("\nhybrid against the better single strategy:")
        for lang in ("zh", "en", "all"):
            for metric in ("recall@5", "mrr@10"):
                best_single = max(results["full_text"][lang][metric], results["semantic"][lang][metric])
                hybrid = results["hybrid"][lang][metric]
                verdict = "beats both" if hybrid > best_single else "does NOT beat both"
                print(f"  {lang:<4}{metric:<10} hybrid {hybrid:.3f} vs best single {best_single:.3f} "
                      f"({hybrid / best_single:.3f}x) {verdict}")
        if args.fusion_grid:
            fusion_grid(app, dataset_id, pairs)


if __name__ == "__main__":
    main()
