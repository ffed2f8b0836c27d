"""Words capitalized mid-sentence: the index-time signal that a Latin word is a name."""

from analyzers.names import NameTokenizer, mid_sentence_capitalized


def test_only_mid_sentence_capitals_count():
    text = ("Kata Presiden Joko Widodo, Menteri Luar Negeri.\nIran dan Rusia sepakat. "
            "Putin bertemu (Lavrov) dan Aliyev-Iran di Baku, lalu di baku.")
    assert mid_sentence_capitalized(text) == [
        "Presiden", "Joko", "Widodo", "Menteri", "Luar", "Negeri", "Rusia", "Aliyev-Iran", "Baku"]


def test_tokens_are_index_terms_with_their_counts():
    counts = {t.text: t.boost for t in NameTokenizer("id")("di Teheran dan Teheran, juga Azerbaijan-Iran")}
    assert counts == {"teheran": 2.0, "azerbaijan": 1.0, "iran": 1.0}
