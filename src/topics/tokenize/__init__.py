"""Chinese (and mixed Chinese/English) tokenization for c-TF-IDF and coherence metrics."""

from topics.tokenize.cache import TokenCache
from topics.tokenize.tokenizer import ChineseTokenizer, build_tokenizer

__all__ = ["ChineseTokenizer", "TokenCache", "build_tokenizer"]
