"""Chinese (and mixed Chinese/English) tokenization for c-TF-IDF and coherence metrics."""

from topics.tokenize.tokenizer import ChineseTokenizer, build_tokenizer

__all__ = ["ChineseTokenizer", "build_tokenizer"]
