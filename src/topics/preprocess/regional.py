"""Taiwan and Hong Kong wording -> mainland wording, for text written in Traditional script.

OpenCC ``t2s`` converts characters, not words: 資料 becomes 资料, 軟體 becomes 软体, 演算法 stays
演算法, while the models, keyword lists and topic words of this package use the mainland words
数据, 软件, 算法. After ``t2s``, text that was in Traditional script also gets the word map below,
so that 資料中心 and 数据中心 reach a model as the same words.

Why not OpenCC's ``tw2sp``: its phrase table also rewrites words that both sides use alike
(核心 -> 内核, 建立 -> 创建, 智慧 -> 智能, 文件 -> 文档), which changes the meaning of finance news.
The map here keeps to information-technology and finance terms that differ between the regions
and mean one thing in news about AI in finance. It is written from general cross-strait
vocabulary, not from any evaluation text; it is applied only to text whose script is Traditional
(Simplified text is never changed: in mainland text 资料 means "materials", not "data").

Every key is in Simplified characters (after ``t2s``); longer keys win (资料库 before 资料).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

#: Taiwan / Hong Kong term (after ``t2s``) -> mainland term.
REGIONAL_TERMS: dict[str, str] = {
    # computing
    "软体": "软件",
    "硬体": "硬件",
    "韧体": "固件",
    "演算法": "算法",
    "演算力": "算力",
    "云端运算": "云计算",
    "云端": "云",
    "运算资源": "计算资源",
    "运算力": "算力",
    "丛集": "集群",
    "网际网路": "互联网",
    "网路": "网络",
    "资讯科技": "信息技术",
    "资讯安全": "信息安全",
    "资讯": "信息",
    "资安": "信息安全",
    "资料科学": "数据科学",
    "资料库": "数据库",
    "资料中心": "数据中心",
    "资料": "数据",
    "数位": "数字",
    "人工智慧": "人工智能",
    "智慧型": "智能",
    "大型语言模型": "大语言模型",
    "晶片": "芯片",
    "伺服器": "服务器",
    "绘图处理器": "图形处理器",
    "显示卡": "显卡",
    "记忆体": "内存",
    "硬碟": "硬盘",
    "程式码": "代码",
    "程式": "程序",
    "模组": "模块",
    "介面": "接口",
    "预设": "默认",
    "最佳化": "优化",
    "效能": "性能",
    "影片": "视频",
    "视讯": "视频",
    "使用者": "用户",
    "帐号": "账号",
    "登入": "登录",
    "行动装置": "移动设备",
    "行动支付": "移动支付",
    "行动银行": "手机银行",
    "网路银行": "网上银行",
    # work and business
    "个资": "个人信息",
    "理专": "理财经理",
    "投顾": "投资顾问",
    "征才": "招聘",
    "招募": "招聘",
    "新创": "初创",
    "专案": "项目",
    "计画": "计划",
    "营运": "运营",
    "品质": "质量",
    "透过": "通过",
}

#: Changes whenever the map does (part of the tokenizer's fingerprint and of cache keys).
REGIONAL_VERSION = hashlib.sha256(
    "\n".join(f"{k}\t{v}" for k, v in sorted(REGIONAL_TERMS.items())).encode("utf-8")
).hexdigest()[:12]


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    keys = sorted(REGIONAL_TERMS, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys))


def to_mainland_terms(simplified: str) -> str:
    """Replace the regional terms of ``simplified`` (text already converted by ``t2s``)."""
    return _pattern().sub(lambda m: REGIONAL_TERMS[m.group(0)], simplified)
