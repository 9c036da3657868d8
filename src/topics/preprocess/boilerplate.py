"""Boilerplate (page furniture) removal by general rules, with an auditable report.

Blocks are first classified from their own shape (length, sentence punctuation, links,
numbers, script, page-interface vocabulary, repetition in the document and across the corpus)
and from their lexical support in the rest of the article. Undecided blocks then take the class
of their context, in the manner of jusText; finally, islands of text cut off from the article
body by runs of furniture (footers, summaries repeated by the site) are dropped.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from topics.preprocess.blocks import Block, ends_like_sentence, has_sentence_shape, split_blocks
from topics.preprocess.normalize import nfkc

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_OTHER_SCRIPT = re.compile(
    r"[\u0400-\u04ff\u0600-\u06ff\u0590-\u05ff\u0e00-\u0e7f\u0900-\u097f\uac00-\ud7af"
    r"\u3040-\u30ff\u1e00-\u1eff]"
)
# domains are ASCII: a bounded character class keeps the search linear on long CJK lines
_URL = re.compile(
    r"(https?://|www\.)\S+|\b[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.(com|cn|net|org|html?)\b(/\S*)?", re.I
)
_NUMERIC = re.compile(r"^[\d\s.,:：/\-%+#·•()（）\[\]]+$")
_DATE = re.compile(r"(19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}")
_REL_TIME = re.compile(r"\d+\s*(秒|分钟|分鐘|小时|小時|天|周|週|个月|個月|年)前|刚刚|剛剛")
# Generic page-interface vocabulary of Chinese and English news sites (navigation, sharing,
# comments, bylines, copyright). It only ever marks *short* blocks as furniture.
_UI = re.compile(
    "|".join(
        [
            r"评论|評論|留言|回复|回復|跟帖|沙发|沙發|点赞|點贊|讚賞|赞赏|分享|转发|轉發|收藏|举报|舉報",
            r"扫码|掃碼|二维码|二維碼|下载|下載|APP|关注我们|關注我們|订阅|訂閱|登录|登錄|注册|註冊",
            r"版权|版權|转载|轉載|免责|免責|来源|來源|原文|责任编辑|責任編輯|编辑|編輯|记者|記者",
            r"发布于|發佈於|发布时间|發佈時間|查看|阅读|閱讀|热榜|熱榜|热门|熱門|推荐|推薦|相关阅读",
            r"上一篇|下一篇|返回|首页|首頁|更多|广告|廣告|暂无|暫無|图片|圖片|切换|切換|客户端|客戶端",
            r"\b(share|comment|reply|login|sign in|subscribe|download|copyright|image|photo|menu)\b",
        ]
    ),
    re.I,
)


@dataclass
class BlockDecision:
    """The fate of one block, for the ingestion report."""

    block: Block
    keep: bool
    role: str  # title, heading, paragraph, furniture
    reason: str
    support: float


@dataclass
class CleanResult:
    """A document after boilerplate removal."""

    doc_id: str
    decisions: list[BlockDecision]
    dates_found: list[str] = field(default_factory=list)

    @property
    def kept(self) -> list[BlockDecision]:
        """Decisions of the blocks that stay."""
        return [d for d in self.decisions if d.keep]

    @property
    def dropped(self) -> list[BlockDecision]:
        """Decisions of the blocks that go."""
        return [d for d in self.decisions if not d.keep]


def _size(text: str) -> float:
    """Weight of a block: CJK characters count 1, other visible characters 0.4."""
    n_cjk = len(_CJK.findall(text))
    others = len(re.sub(r"\s", "", text)) - n_cjk
    return n_cjk + 0.4 * others


def _features(text: str) -> set[str]:
    """CJK character bigrams and lowercase Latin words of an NFKC-normalized ``text``."""
    feats = {w.lower() for w in _LATIN_WORD.findall(text) if len(w) > 1}
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text):
        feats.update(run[i : i + 2] for i in range(len(run) - 1))
    return feats


_SPACE = re.compile(r"\s+")


def _key(text: str, normalized: bool = False) -> str:
    return _SPACE.sub("", text if normalized else nfkc(text)).lower()


class BoilerplateRemover:
    """Classify the blocks of each document as article text or page furniture.

    Args:
        block_mode: How to cut blocks, see :func:`topics.preprocess.blocks.split_blocks`.
        long_size: Size from which a block with sentence shape is article text on its own.
        short_size: Size below which a block is decided by its context alone.
        min_margin: Lexical support (share of a block's bigrams found in the rest of the
            article) minus its support in the furniture blocks, below which prose that is not
            flanked by article text counts as off-topic.
        heading_support: Support a context-dependent block needs next to article text.
        max_gap: Runs of at least this many furniture blocks cut the document into islands;
            islands much smaller than the article body are dropped.
        island_share: An island is kept if its text is at least this share of the body's.
    """

    def __init__(
        self,
        block_mode: str = "auto",
        long_size: float = 40,
        short_size: float = 12,
        min_margin: float = 0.12,
        heading_support: float = 0.3,
        max_gap: int = 3,
        island_share: float = 0.25,
    ) -> None:
        self.block_mode = block_mode
        self.long_size = long_size
        self.short_size = short_size
        self.min_margin = min_margin
        self.heading_support = heading_support
        self.max_gap = max_gap
        self.island_share = island_share

    def fit(self, texts: Iterable[str]) -> BoilerplateRemover:
        """Learn short blocks that repeat across documents (site templates)."""
        counts: Counter[str] = Counter()
        for text in texts:
            keys = {_key(b.text) for b in split_blocks(text, self.block_mode)}
            counts.update(k for k in keys if _size(k) < self.long_size)
        self.repeated_blocks_ = {k for k, c in counts.items() if c >= 2}
        return self

    # -- per-block rules -------------------------------------------------------------------
    def _local_class(
        self, block: Block, norm: str, doc_counts: Counter[str], zh_doc: bool
    ) -> tuple[str, str]:
        """Return (class, reason): class is good, bad or undecided (``norm``: NFKC of the block)."""
        text = block.text
        size = _size(text)
        key = _key(norm, normalized=True)
        if _NUMERIC.match(norm):
            return "bad", "numbers or list index only"
        url = _URL.search(text)
        if url and (size < 80 or len(url.group(0)) > 0.3 * len(text)):
            return "bad", "link"
        if size < 30 and (_REL_TIME.search(text) or _DATE.match(norm)):
            return "bad", "date or time stamp"
        if size < self.long_size and _UI.search(norm):
            return "bad", "page interface words in a short line"
        n_cjk = len(_CJK.findall(text))
        if _OTHER_SCRIPT.search(text) and n_cjk == 0 and size < self.long_size:
            return "bad", "short line in another script"
        if zh_doc and n_cjk == 0 and size < self.short_size:
            return "bad", "short non-Chinese line in a Chinese document"
        if doc_counts[key] > 1 and size < self.long_size:
            return "bad", "repeated within the document"
        if key in getattr(self, "repeated_blocks_", ()) and size < self.long_size:
            return "bad", "repeated across documents (site template)"
        if size >= self.long_size and has_sentence_shape(text):
            return "good", "prose"
        return "undecided", "short" if size < self.short_size else "medium"

    @staticmethod
    def _support(feats: list[set[str]], members: list[int]) -> list[float]:
        """Share of each block's features found in the member blocks other than itself."""
        counts: Counter[str] = Counter()
        for i in members:
            counts.update(feats[i])
        member_set = set(members)
        out = []
        for i, f in enumerate(feats):
            if not f:
                out.append(0.0)
                continue
            own = 1 if i in member_set else 0
            out.append(sum(1 for x in f if counts[x] - own > 0) / len(f))
        return out

    def transform_one(self, doc_id: str, text: str, title: str | None = None) -> CleanResult:
        """Classify the blocks of one document."""
        blocks = split_blocks(text, self.block_mode)
        if not blocks:
            return CleanResult(doc_id, [])
        zh_doc = len(_CJK.findall(text)) > len(_LATIN_WORD.findall(text))
        norms = [nfkc(b.text) for b in blocks]
        doc_counts = Counter(_key(n, normalized=True) for n in norms)
        local = [
            self._local_class(b, n, doc_counts, zh_doc) for b, n in zip(blocks, norms, strict=True)
        ]
        if len(blocks) < 3:  # a headline or a short record has no page around it to judge by
            return CleanResult(
                doc_id,
                [
                    BlockDecision(
                        b,
                        keep,
                        "paragraph" if keep else "furniture",
                        "short document" if keep else r,
                        1.0,
                    )
                    for b, (c, r) in zip(blocks, local, strict=True)
                    for keep in [r != "numbers or list index only"]
                ],
            )
        feats = [_features(n) for n in norms]
        core = [i for i, (c, _) in enumerate(local) if c == "good"]
        support = self._support(feats, core) if len(core) >= 2 else [1.0] * len(blocks)
        title_match = bool(title) and _key(blocks[0].text) == _key(title or "")

        def first_pass() -> tuple[list[str], list[str]]:
            classes = [c for c, _ in local]
            reasons = [r for _, r in local]
            if title_match:
                classes[0], reasons[0] = "good", "title line (matches the document's title)"
            return classes, reasons

        # A preliminary pass tells which blocks are furniture; prose whose vocabulary leans to
        # the furniture's rather than the article's is then demoted before the final pass.
        classes, reasons = first_pass()
        self._resolve_context(classes, reasons, support, blocks)
        furniture = self._support(feats, [i for i, c in enumerate(classes) if c == "bad"])
        margin = [s - f for s, f in zip(support, furniture, strict=True)]
        classes, reasons = first_pass()
        if len(core) >= 3:
            self._demote_off_topic(classes, reasons, margin)
        self._resolve_context(classes, reasons, support, blocks)
        has_title = reasons[0].startswith("title line")
        self._drop_islands(classes, reasons, blocks, first=1 if has_title else 0)

        decisions = []
        for i, b in enumerate(blocks):
            keep = classes[i] == "good"
            if keep and i == 0 and has_title:
                role = "title"
            elif keep:
                heading = _size(b.text) < self.long_size and not ends_like_sentence(b.text)
                role = "heading" if heading else "paragraph"
            else:
                role = "furniture"
            decisions.append(BlockDecision(b, keep, role, reasons[i], round(support[i], 3)))
        dates = [
            m.group(0) for d in decisions if not d.keep for m in _DATE.finditer(nfkc(d.block.text))
        ]
        return CleanResult(doc_id, decisions, dates)

    def _demote_off_topic(
        self, classes: list[str], reasons: list[str], margin: list[float]
    ) -> None:
        """Demote prose that leans to the furniture's vocabulary unless article text flanks it.

        Off-topic prose (a site's self-description, a disclaimer, a headline with a lead) sits at
        the edges of the article or among furniture; a paragraph inside the article keeps its place
        even when its vocabulary is unusual.
        """
        decided = [i for i, c in enumerate(classes) if c != "undecided"]
        original = list(classes)
        for k, i in enumerate(decided):
            if original[i] != "good" or margin[i] >= self.min_margin:
                continue
            prev = original[decided[k - 1]] if k > 0 else "edge"
            nxt = original[decided[k + 1]] if k + 1 < len(decided) else "edge"
            if not (prev == "good" and nxt == "good"):
                classes[i] = "bad"
                reasons[i] = f"off-topic prose at the article's edge (margin {margin[i]:.2f})"

    def _resolve_context(
        self, classes: list[str], reasons: list[str], support: list[float], blocks: Sequence[Block]
    ) -> None:
        """Give undecided blocks the class their decided neighbours suggest."""
        decided = [i for i, c in enumerate(classes) if c != "undecided"]
        for i, c in enumerate(classes):
            if c != "undecided":
                continue
            k = bisect.bisect_left(decided, i)  # decided is sorted: O(log n) per block
            prev = decided[k - 1] if k > 0 else None
            nxt = decided[k] if k < len(decided) else None
            p = classes[prev] if prev is not None else "edge"
            n = classes[nxt] if nxt is not None else "edge"
            upcoming = [classes[j] for j in range(i + 1, min(i + 8, len(classes)))]
            if i == 0 and "good" in upcoming and _size(blocks[i].text) >= 4:
                classes[i], reasons[i] = "good", "title line"
            elif p == "good" and n == "good":
                classes[i], reasons[i] = "good", "inside article text"
            elif "good" in (p, n) and support[i] >= self.heading_support:
                classes[i], reasons[i] = "good", f"next to article text (support {support[i]:.2f})"
            else:
                classes[i] = "bad"
                reasons[i] = f"{reasons[i]} line among furniture (support {support[i]:.2f})"

    def _drop_islands(
        self, classes: list[str], reasons: list[str], blocks: Sequence[Block], first: int = 0
    ) -> None:
        """Drop groups of kept blocks cut off from the article body by long furniture runs."""
        islands: list[list[int]] = []
        gap = self.max_gap
        for i, c in enumerate(classes):
            if i < first:
                continue
            if c == "good":
                if gap >= self.max_gap or not islands:
                    islands.append([])
                islands[-1].append(i)
                gap = 0
            else:
                gap += 1
        if len(islands) < 2:
            return
        weight = [sum(_size(blocks[i].text) for i in isl) for isl in islands]
        body = max(range(len(islands)), key=weight.__getitem__)
        for k, isl in enumerate(islands):
            if k != body and weight[k] < self.island_share * weight[body]:
                for i in isl:
                    classes[i] = "bad"
                    reasons[i] = "island cut off from the article body by furniture"
