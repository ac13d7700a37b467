"""Splitting: long paragraphs fit the model's window with no text lost; sentence spans."""

from __future__ import annotations

from embeddings.articles import Article
from embeddings.encoder import Encoder
from embeddings.paragraphs import sentence_spans, split_article


def test_sentence_spans_cover_the_text_and_respect_abbreviations():
    text = "Mr. Smith went to the U.S. Army on Jan. 4. He said “Yes.” Then he left! Did he? 3 days later, no."
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == [
        "Mr. Smith went to the U.S. Army on Jan. 4.",
        "He said “Yes.”",
        "Then he left!",
        "Did he?",
        "3 days later, no.",
    ]
    assert " ".join(sentences) == text


def test_overlong_paragraph_is_split_at_sentences_and_loses_no_text(encoder: Encoder):
    sentences = [
        f"Sentence number {i} tells of the harbour, the bridge and the ferry crossing in detail." for i in range(60)
    ]
    long_paragraph = " ".join(sentences)
    assert encoder.count_pieces(long_paragraph) > encoder.max_pieces  # really over the window
    article = Article(id="a", title="T", paragraphs=("Short first.", long_paragraph), path="a")
    parts = list(split_article(article, count_pieces=encoder.count_pieces, max_pieces=encoder.max_pieces))
    assert parts[0].number == 1 and parts[0].text == "Short first."
    long_parts = [p for p in parts if p.number == 2]
    assert len(long_parts) > 1 and [p.part for p in long_parts] == list(range(1, len(long_parts) + 1))
    assert all(encoder.count_pieces(p.text) <= encoder.max_pieces for p in long_parts)
    assert all(p.text.endswith(".") for p in long_parts)  # cut between sentences
    assert " ".join(p.text for p in long_parts) == long_paragraph


def test_a_single_sentence_longer_than_the_window_is_cut_between_words(encoder: Encoder):
    run_on = " ".join(f"word{i}" for i in range(2000))
    article = Article(id="a", title="T", paragraphs=(run_on,), path="a")
    parts = list(split_article(article, count_pieces=encoder.count_pieces, max_pieces=encoder.max_pieces))
    assert len(parts) > 1
    assert all(encoder.count_pieces(p.text) <= encoder.max_pieces for p in parts)
    assert " ".join(p.text for p in parts) == run_on
