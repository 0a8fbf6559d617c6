"""AI Stack stock trading: saved strategies and backtests, one checked against figures worked
out by hand."""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from internal.aistack.stock.market import MarketData

from .client import VIAS, assert_error, data_of


@pytest.fixture
def via():
    return "prefix"


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def strategy(stack, status=201, **body):
    payload = {"name": "策略", "strategy_type": "buy_and_hold", "symbol": "600519", "parameters": {}} | body
    return data_of(stack.post("stock", "/api/strategies", json=payload), status)


def test_strategy_crud_and_ownership(aistack, other_aistack):
    made = strategy(aistack, name="均线", strategy_type="ma_crossover", parameters={"short_window": 5, "long_window": 20})
    assert made["parameters"] == {"short_window": 5, "long_window": 20}
    rsi = strategy(aistack, strategy_type="rsi_mean_reversion", parameters={})
    assert rsi["parameters"] == {"period": 14, "oversold": 30, "overbought": 70}
    path = f"/api/strategies/{made['strategy_id']}"
    assert data_of(aistack.get("stock", path))["name"] == "均线"
    changed = data_of(aistack.put("stock", path, json={"name": "均线2", "strategy_type": "ma_crossover", "symbol": "000001", "parameters": {"short_window": 10, "long_window": 30}}))
    assert changed["symbol"] == "000001" and changed["parameters"]["long_window"] == 30
    listed = aistack.get("stock", "/api/strategies?filter[strategy_type]=ma_crossover").json
    assert [s["strategy_id"] for s in listed["data"]] == [made["strategy_id"]] and listed["pagination"]["total_items"] == 1
    for call in (other_aistack.get, other_aistack.delete):
        assert_error(call("stock", path), 404, "RESOURCE_NOT_FOUND")
    assert_error(
        other_aistack.post("stock", "/api/strategies/backtest", json={"strategy_id": made["strategy_id"], "start_date": "2025-01-01", "end_date": "2025-02-01", "initial_capital": 100000}),
        404, "RESOURCE_NOT_FOUND",
    )
    assert data_of(other_aistack.get("stock", "/api/strategies")) == []
    data_of(aistack.delete("stock", path))
    assert_error(aistack.get("stock", path), 404, "RESOURCE_NOT_FOUND")


def test_strategy_parameters_are_validated(aistack):
    for body, field in (
        ({"strategy_type": "martingale"}, "strategy_type"),
        ({"strategy_type": "ma_crossover", "parameters": {"short_window": 20, "long_window": 5}}, "parameters.long_window"),
        ({"strategy_type": "ma_crossover", "parameters": {"short_window": 5}}, "parameters.long_window"),
        ({"strategy_type": "ma_crossover", "parameters": {"short_window": "x", "long_window": 5}}, "parameters.short_window"),
        ({"strategy_type": "rsi_mean_reversion", "parameters": {"oversold": 80, "overbought": 70}}, "parameters.overbought"),
        ({"strategy_type": "rsi_mean_reversion", "parameters": {"period": 1}}, "parameters.period"),
        ({"symbol": "12"}, "symbol"),
        ({"name": ""}, "name"),
        ({"parameters": []}, "parameters"),
    ):
        payload = {"name": "s", "strategy_type": "buy_and_hold", "symbol": "600519", "parameters": {}} | body
        assert_error(aistack.post("stock", "/api/strategies", json=payload), 400, "INVALID_INPUT", field)
    assert data_of(aistack.get("stock", "/api/strategies")) == []


def test_buy_and_hold_backtest_by_hand(app, aistack):
    made = strategy(aistack)
    start, end = date(2025, 3, 3), date(2025, 3, 14)
    result = data_of(
        aistack.post("stock", "/api/strategies/backtest", json={"strategy_id": made["strategy_id"], "start_date": "2025-03-03", "end_date": "2025-03-14", "initial_capital": 100000})
    )
    bars = app.extensions["injector"].get(MarketData).history("600519", start, end, datetime.now(UTC))
    first, last = bars[0].close, bars[-1].close
    # By hand: whole lots the capital buys at the first close, with the buy's fees.
    shares = int(Decimal(100000) // (first * 100)) * 100
    amount = money(first * shares)
    fee = max(money(amount * Decimal("0.00025")), Decimal("5")) + money(amount * Decimal("0.00001"))
    if amount + fee > 100000:
        shares -= 100
        amount = money(first * shares)
        fee = max(money(amount * Decimal("0.00025")), Decimal("5")) + money(amount * Decimal("0.00001"))
    cash = Decimal(100000) - amount - fee
    final = cash + last * shares
    assert result["trades"] == [
        {"date": "2025-03-03", "action": "buy", "price": float(first), "quantity": shares, "amount": float(amount), "fees": float(fee), "cash_after": float(cash)}
    ]
    assert [point["date"] for point in result["equity_curve"]] == [bar.day.isoformat() for bar in bars]
    assert result["equity_curve"][-1]["equity"] == float(final)
    metrics = result["metrics"]
    assert metrics["final_equity"] == float(final) and metrics["trade_count"] == 1 and metrics["win_rate"] is None
    assert metrics["total_return"] == pytest.approx(float(final / 100000 - 1), abs=1e-6)
    curve = [100000.0] + [point["equity"] for point in result["equity_curve"]]
    peak, drawdown = curve[0], 0.0
    for value in curve:
        peak = max(peak, value)
        drawdown = min(drawdown, value / peak - 1)
    assert metrics["max_drawdown"] == pytest.approx(drawdown, abs=1e-6)
    assert result["source"] == "simulated"


def test_a_star_backtest_buys_in_steps_of_one_share(app, aistack):
    made = strategy(aistack, symbol="688981")
    body = {"strategy_id": made["strategy_id"], "start_date": "2025-03-03", "end_date": "2025-03-07", "initial_capital": 100000}
    [buy] = data_of(aistack.post("stock", "/api/strategies/backtest", json=body))["trades"]
    first = Decimal(str(buy["price"]))

    def cost(shares: int) -> Decimal:
        amount = money(first * shares)
        return amount + max(money(amount * Decimal("0.00025")), Decimal("5")) + money(amount * Decimal("0.00001"))

    # The most shares (200 or more, any count above) the capital covers with the buy's fees.
    assert buy["quantity"] >= 200 and cost(buy["quantity"]) <= 100000 < cost(buy["quantity"] + 1)


@pytest.mark.parametrize("via", VIAS)
def test_ma_crossover_and_rsi_backtests_follow_the_rules(aistack):
    for strategy_type, parameters in (("ma_crossover", {"short_window": 5, "long_window": 20}), ("rsi_mean_reversion", {"period": 6, "oversold": 40, "overbought": 60})):
        made = strategy(aistack, strategy_type=strategy_type, parameters=parameters)
        result = data_of(
            aistack.post("stock", "/api/strategies/backtest", json={"strategy_id": made["strategy_id"], "start_date": "2024-01-01", "end_date": "2024-12-31", "initial_capital": 500000})
        )
        trades = result["trades"]
        assert trades and result["metrics"]["trade_count"] == len(trades)
        cash = Decimal(500000)
        for index, trade in enumerate(trades):
            # Alternating whole-lot buys and sells; cash never negative; a sell a later day (T+1).
            assert trade["action"] == ("buy" if index % 2 == 0 else "sell") and trade["quantity"] % 100 == 0
            cash += Decimal(str(trade["amount"])) * (-1 if trade["action"] == "buy" else 1) - Decimal(str(trade["fees"]))
            assert money(cash) == Decimal(str(trade["cash_after"])) and cash >= 0
            if index % 2:
                assert trade["date"] > trades[index - 1]["date"]
        sells = len(trades) // 2
        assert (result["metrics"]["win_rate"] is None) == (sells == 0)


def test_bad_backtests(aistack):
    made = strategy(aistack)
    base = {"strategy_id": made["strategy_id"], "start_date": "2025-01-01", "end_date": "2025-02-01", "initial_capital": 100000}
    for change, field in (
        ({"end_date": "2024-12-01"}, "end_date"),
        ({"start_date": "2019-01-01"}, "end_date"),
        ({"initial_capital": 0}, "initial_capital"),
        ({"initial_capital": 1.001}, "initial_capital"),
        ({"strategy_id": "7"}, "strategy_id"),
    ):
        assert_error(aistack.post("stock", "/api/strategies/backtest", json=base | change), 400, "INVALID_INPUT", field)
