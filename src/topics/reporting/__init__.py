"""Run report: topics over time and per group, and one self-contained HTML page per run."""

from topics.reporting.dynamics import TopicView, over_time, per_group, topic_shares
from topics.reporting.html import ReportInput, render_report

__all__ = ["ReportInput", "TopicView", "over_time", "per_group", "render_report", "topic_shares"]
