"""The response of an app's analysis (llmops-api.md §14.1, D54, D55)."""

from pydantic import BaseModel, Field


class Metric(BaseModel):
    data: float = Field(description="The figure over the last 7 days, today included")
    qoq: float = Field(description="Change against the 7 days before, as a fraction: (current − previous) / previous; 0 without previous")
    pop: float = Field(description="The same as qoq, for front ends that read this name")


class Trend(BaseModel):
    x_axis: list[int] = Field(description="The 7 days' start timestamps (ANALYSIS_TIMEZONE midnights), oldest first")
    y_axis: list[float] = Field(description="The figure of each of those days")


class AnalysisResp(BaseModel):
    total_messages: Metric
    active_accounts: Metric
    avg_of_conversation_messages: Metric
    token_output_rate: Metric
    cost_consumption: Metric
    total_messages_trend: Trend
    active_accounts_trend: Trend
    avg_of_conversation_messages_trend: Trend
    cost_consumption_trend: Trend
    avg_messages_pre_conversation: Metric = Field(description="The example's name of avg_of_conversation_messages (D54)")
    avg_messages_pre_conversation_trend: Trend = Field(description="The example's name of avg_of_conversation_messages_trend (D54)")
