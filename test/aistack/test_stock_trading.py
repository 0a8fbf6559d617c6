"""AI Stack stock trading: orders under A-share rules (lots, T+1, daily limits, fees), fills by
the periodic check, cancellations, concurrency, portfolio and performance, ownership."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from internal.aistack.gateway.errors import AIStackException
from internal.aistack.stock.market import MarketData
from internal.aistack.stock.market.session import SHANGHAI, TradingClock, is_trading_day, previous_trading_day, trade_date
from internal.aistack.stock.market.simulated import SimulatedMarket
from internal.aistack.stock.portfolio_service import PortfolioService
from internal.aistack.stock.schemas import Period, PlaceOrderReq
from internal.aistack.stock.trading_service import TradingService
from internal.extension.database import db
from internal.extension.task_queue import TaskQueue
from internal.service.task_names import CHECK_STOCK_ORDERS
from test.api.knowledge_base import wait_for

from .client import VIAS, AIStackClient, assert_error, data_of

INITIAL = Decimal("1000000.00")
SYMBOL = "600519"


@pytest.fixture
def via():
    return "prefix"


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def fees(action: str, amount: Decimal) -> Decimal:
    """The default schedule worked out by hand: commission 0.025 % (at least 5), transfer fee
    0.001 %, stamp duty 0.05 % on sells."""
    commission = max(money(amount * Decimal("0.00025")), Decimal("5.00"))
    stamp = money(amount * Decimal("0.0005")) if action == "sell" else Decimal("0")
    return commission + stamp + money(amount * Decimal("0.00001"))


def order(stack: AIStackClient, status: int = 201, **body):
    return data_of(stack.post("stock", "/api/orders", json={"symbol": SYMBOL, "order_type": "market"} | body), status)


def portfolio(stack: AIStackClient) -> dict:
    return data_of(stack.get("stock", "/api/portfolio/positions"))


def service(app) -> TradingService:
    return app.extensions["injector"].get(TradingService)


def quote_now(app, symbol=SYMBOL):
    return app.extensions["injector"].get(MarketData).quote(symbol, datetime.now(UTC))


def next_day_at_ten(days: int = 1) -> datetime:
    """10:00 in Shanghai on a trading day `days` or more days from now."""
    day = trade_date(datetime.now(UTC)) + timedelta(days=days)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)


def test_market_buy_fills_at_once_with_fees(aistack):
    assert portfolio(aistack)["cash"] == 1_000_000
    bought = order(aistack, action="buy", quantity=200)
    assert bought["status"] == "filled" and bought["price"] is None
    price = Decimal(str(bought["filled_price"]))
    amount = money(price * 200)
    assert Decimal(str(bought["fees"])) == fees("buy", amount)
    held = portfolio(aistack)
    assert Decimal(str(held["cash"])) == INITIAL - amount - fees("buy", amount)
    [position] = held["positions"]
    assert position["symbol"] == SYMBOL and position["quantity"] == 200
    assert position["sellable_quantity"] == 0  # T+1
    assert Decimal(str(position["total_cost"])) == amount + fees("buy", amount)
    assert Decimal(str(position["cost_basis"])) == ((amount + fees("buy", amount)) / 200).quantize(Decimal("0.001"), ROUND_HALF_UP)
    current = Decimal(str(position["current_price"]))
    assert Decimal(str(position["market_value"])) == money(current * 200)
    assert Decimal(str(position["unrealised_pnl"])) == money(current * 200) - amount - fees("buy", amount)
    # Bought today, not sellable today.
    assert_error(aistack.post("stock", "/api/orders", json={"symbol": SYMBOL, "action": "sell", "quantity": 100}), 400, "INVALID_INPUT", "quantity")


def test_order_rules(aistack, app):
    quote = quote_now(app)
    bad = [
        ({"action": "buy", "quantity": 150}, "quantity"),  # not a whole lot
        ({"action": "buy", "quantity": 0}, "quantity"),
        ({"action": "hold", "quantity": 100}, "action"),
        ({"action": "buy", "quantity": 100, "order_type": "iceberg"}, "order_type"),
        ({"action": "buy", "quantity": 100, "order_type": "limit"}, "price"),  # a limit needs its price
        ({"action": "buy", "quantity": 100, "order_type": "limit", "price": "abc"}, "price"),
        ({"action": "buy", "quantity": 100, "order_type": "limit", "price": 1.234}, "price"),
        ({"action": "buy", "quantity": 100, "order_type": "limit", "price": float(quote.limit_up + Decimal("0.50"))}, "price"),
        ({"action": "buy", "quantity": 100, "order_type": "limit", "price": float(quote.limit_down - Decimal("0.50"))}, "price"),
        ({"action": "sell", "quantity": 100}, "quantity"),  # nothing held
        ({"action": "buy", "quantity": 100_000}, "quantity"),  # more than the cash buys
        ({"symbol": "ABC123", "action": "buy", "quantity": 100}, "symbol"),
    ]
    for body, field in bad:
        assert_error(aistack.post("stock", "/api/orders", json={"symbol": SYMBOL} | body), 400, "INVALID_INPUT", field)
    assert portfolio(aistack)["cash"] == 1_000_000
    assert data_of(aistack.get("stock", "/api/orders")) == []


def test_star_market_orders_are_200_shares_or_more_in_steps_of_one(app, aistack):
    star = "688981"
    for quantity in (100, 199):
        assert_error(aistack.post("stock", "/api/orders", json={"symbol": star, "action": "buy", "quantity": quantity}), 400, "INVALID_INPUT", "quantity")
    bought = order(aistack, symbol=star, action="buy", quantity=201)
    assert bought["status"] == "filled" and bought["quantity"] == 201
    tomorrow = next_day_at_ten()
    trading, account_id = service(app), aistack.member.id
    with app.app_context():
        with pytest.raises(AIStackException) as refused:  # under 200 and not the whole holding
            trading.place_order(account_id, PlaceOrderReq(symbol=star, action="sell", quantity=150), now=tomorrow)
        assert list(refused.value.details) == ["quantity"]
        assert trading.place_order(account_id, PlaceOrderReq(symbol=star, action="sell", quantity=200), now=tomorrow).status == "filled"
        assert trading.place_order(account_id, PlaceOrderReq(symbol=star, action="sell", quantity=1), now=tomorrow).status == "filled"
    assert portfolio(aistack)["positions"] == []


def test_sell_next_day_with_stamp_duty_and_odd_lots(app, aistack):
    order(aistack, action="buy", quantity=300)
    tomorrow = next_day_at_ten()
    trading = service(app)
    account_id = aistack.member.id
    with app.app_context():
        # Next day: lots of 100, or the whole holding; never more than held.
        sold = trading.place_order(account_id, PlaceOrderReq(symbol=SYMBOL, action="sell", quantity=100), now=tomorrow)
        assert sold.status == "filled"
        amount = money(sold.filled_price * 100)
        assert sold.fees == fees("sell", amount)
    held = portfolio(aistack)
    # What the 300 cost, fees included: the cash gone, less what the sale brought in.
    bought_cash = INITIAL - Decimal(str(held["cash"])) + amount - fees("sell", amount)
    [position] = held["positions"]
    assert position["quantity"] == 200
    # Average cost: the 100 sold took a third of the cost with them.
    assert Decimal(str(position["total_cost"])) == bought_cash - money(bought_cash / 3)
    with app.app_context():
        for quantity in (150, 300):
            with pytest.raises(AIStackException) as refused:
                trading.place_order(account_id, PlaceOrderReq(symbol=SYMBOL, action="sell", quantity=quantity), now=tomorrow)
            assert list(refused.value.details) == ["quantity"]
        # A limit sell below the price and a stop sell above it both execute at the next check;
        # the shares they hold cannot be sold twice.
        then = app.extensions["injector"].get(MarketData).quote(SYMBOL, tomorrow)
        limit = PlaceOrderReq(symbol=SYMBOL, action="sell", quantity=100, order_type="limit", price=then.limit_down)
        stop = PlaceOrderReq(symbol=SYMBOL, action="sell", quantity=100, order_type="stop", price=then.limit_up)
        assert trading.place_order(account_id, limit, now=tomorrow).status == "open"
        assert trading.place_order(account_id, stop, now=tomorrow).status == "open"
        with pytest.raises(AIStackException):
            trading.place_order(account_id, PlaceOrderReq(symbol=SYMBOL, action="sell", quantity=100), now=tomorrow)
        assert trading.check_open_orders(tomorrow) >= 2  # other tests' open orders may fill too
    held = portfolio(aistack)
    assert held["positions"] == [] and held["market_value"] == 0


def test_limit_and_stop_orders_fill_when_the_check_sees_the_price_cross(app, aistack):
    quote = quote_now(app)
    up, down = float(quote.limit_up), float(quote.limit_down)
    resting = order(aistack, action="buy", quantity=100, order_type="limit", price=up)
    assert resting["status"] == "open"
    held_cash = money(Decimal(str(up)) * 100) + fees("buy", money(Decimal(str(up)) * 100))
    assert Decimal(str(resting["frozen_cash"])) == held_cash
    assert Decimal(str(portfolio(aistack)["available_cash"])) == INITIAL - held_cash
    low = order(aistack, action="buy", quantity=100, order_type="limit", price=down)
    stop = order(aistack, action="buy", quantity=100, order_type="stop", price=down)  # already broken through
    now = datetime.now(UTC)
    with app.app_context():
        service(app).check_open_orders(now)
    price_then = quote_now(app).current_price  # the check's quote is of the same minute or one before
    filled = data_of(aistack.get("stock", f"/api/orders/{resting['order_id']}"))
    assert filled["status"] == "filled" and filled["filled_price"] <= up
    assert data_of(aistack.get("stock", f"/api/orders/{stop['order_id']}"))["status"] == "filled"
    low_now = data_of(aistack.get("stock", f"/api/orders/{low['order_id']}"))
    assert low_now["status"] == ("filled" if price_then <= quote.limit_down else "open")
    listed = data_of(aistack.get("stock", "/api/orders?filter[status]=filled"))
    assert {o["order_id"] for o in listed} >= {resting["order_id"], stop["order_id"]}
    # A second run changes nothing that filled: the check is idempotent.
    with app.app_context():
        service(app).check_open_orders(now)
    assert len(data_of(aistack.get("stock", "/api/orders?filter[status]=filled"))) == len(listed)
    trades_cash = INITIAL - Decimal(str(portfolio(aistack)["cash"]))
    assert trades_cash == sum(
        money(Decimal(str(o["filled_price"])) * 100) + Decimal(str(o["fees"])) for o in listed
    )


def test_cancel_only_open_orders_and_release_what_they_held(aistack, other_aistack, app):
    quote = quote_now(app)
    resting = order(aistack, action="buy", quantity=100, order_type="limit", price=float(quote.limit_down))
    if resting["status"] != "open":  # pragma: no cover - only if the price sits at the limit down
        pytest.skip("price at limit down")
    assert_error(other_aistack.delete("stock", f"/api/orders/{resting['order_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(other_aistack.get("stock", f"/api/orders/{resting['order_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert data_of(other_aistack.get("stock", "/api/orders")) == []
    cancelled = data_of(aistack.delete("stock", f"/api/orders/{resting['order_id']}"))
    assert cancelled["status"] == "cancelled" and cancelled["frozen_cash"] == 0
    assert portfolio(aistack)["available_cash"] == 1_000_000
    assert_error(aistack.delete("stock", f"/api/orders/{resting['order_id']}"), 400, "INVALID_INPUT", "order_id")
    filled = order(aistack, action="buy", quantity=100)
    assert_error(aistack.delete("stock", f"/api/orders/{filled['order_id']}"), 400, "INVALID_INPUT", "order_id")
    assert_error(aistack.delete("stock", "/api/orders/not-an-id"), 404, "RESOURCE_NOT_FOUND")
    page = aistack.get("stock", "/api/orders?page_size=1&sort=created_at&order=asc").json
    assert page["pagination"]["total_items"] == 2 and page["data"][0]["order_id"] == resting["order_id"]


def test_day_orders_lapse_unfilled_and_give_back_what_they_held(app, aistack):
    quote = quote_now(app)
    resting = order(aistack, action="buy", quantity=100, order_type="limit", price=float(quote.limit_down))
    if resting["status"] != "open":  # pragma: no cover - only if the price sits at the limit down
        pytest.skip("price at limit down")
    assert portfolio(aistack)["available_cash"] < 1_000_000
    with app.app_context():
        service(app).check_open_orders(next_day_at_ten())
    lapsed = data_of(aistack.get("stock", f"/api/orders/{resting['order_id']}"))
    assert lapsed["status"] == "expired" and lapsed["frozen_cash"] == 0 and lapsed["reason"]
    assert portfolio(aistack)["available_cash"] == 1_000_000
    assert [o["order_id"] for o in data_of(aistack.get("stock", "/api/orders?filter[status]=expired"))] == [resting["order_id"]]
    assert_error(aistack.delete("stock", f"/api/orders/{resting['order_id']}"), 400, "INVALID_INPUT", "order_id")


def test_with_trading_hours_an_order_lapses_at_its_days_close(app, aistack):
    settings = app.extensions["injector"].get(TradingService).settings
    hours = settings.model_copy(update={"aistack_stock": settings.aistack_stock.model_copy(update={"stock_trading_hours": True})})
    opened = next_day_at_ten(7)
    closing = opened.astimezone(SHANGHAI).replace(hour=15, minute=0).astimezone(UTC)
    with app.app_context():
        trading = TradingService(db, hours, SimulatedMarket(TradingClock(True)))
        then = trading.market.quote(SYMBOL, opened)
        req = PlaceOrderReq(symbol=SYMBOL, action="buy", quantity=100, order_type="limit", price=then.limit_down)
        placed = trading.place_order(aistack.member.id, req, now=opened)
        if placed.status != "open":  # pragma: no cover - only if the price sits at the limit down
            pytest.skip("price at limit down")
        order_id = placed.id
        trading.check_open_orders(closing - timedelta(minutes=1))
        before_close = trading.get_order(aistack.member.id, order_id).status
        assert before_close in ("open", "filled")  # filled only if the price fell to the limit down
        trading.check_open_orders(closing)
        assert trading.get_order(aistack.member.id, order_id).status == ("expired" if before_close == "open" else "filled")


def test_concurrent_buys_never_overdraw_cash(app, aistack):
    price = quote_now(app).current_price
    quantity = int(Decimal("300000") / price / 100) * 100  # each order costs about 300,000
    results: list[int] = []

    def buy():
        resp = aistack.post("stock", "/api/orders", json={"symbol": SYMBOL, "action": "buy", "quantity": quantity})
        results.append(resp.status_code)

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] * 3 + [400] * 5
    filled = data_of(aistack.get("stock", "/api/orders?filter[status]=filled"))
    held = portfolio(aistack)
    spent = sum(money(Decimal(str(o["filled_price"])) * quantity) + Decimal(str(o["fees"])) for o in filled)
    assert Decimal(str(held["cash"])) == INITIAL - spent >= 0
    assert held["frozen_cash"] == 0 and held["positions"][0]["quantity"] == 3 * quantity


def test_concurrent_sells_never_sell_more_than_held(app, aistack):
    order(aistack, action="buy", quantity=200)
    tomorrow = next_day_at_ten()
    outcomes: list[str] = []

    def sell():
        with app.app_context():
            try:
                service(app).place_order(aistack.member.id, PlaceOrderReq(symbol=SYMBOL, action="sell", quantity=100), now=tomorrow)
                outcomes.append("sold")
            except AIStackException as exc:
                outcomes.append(next(iter(exc.details)))

    threads = [threading.Thread(target=sell) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["quantity"] * 4 + ["sold"] * 2
    assert portfolio(aistack)["positions"] == []


def test_market_orders_wait_for_the_open_when_trading_hours_are_on(app, aistack):
    settings = app.extensions["injector"].get(TradingService).settings
    hours = settings.model_copy(update={"aistack_stock": settings.aistack_stock.model_copy(update={"stock_trading_hours": True})})
    saturday = next_day_at_ten(7)
    while saturday.astimezone(SHANGHAI).weekday() != 5:
        saturday += timedelta(days=1)
    monday = saturday + timedelta(days=2)
    with app.app_context():
        trading = TradingService(db, hours, SimulatedMarket(TradingClock(True)))
        waiting = trading.place_order(aistack.member.id, PlaceOrderReq(symbol=SYMBOL, action="buy", quantity=100), now=saturday)
        assert waiting.status == "open" and waiting.frozen_cash > 0
        order_id = waiting.id
        assert trading.check_open_orders(saturday) == 0
        assert trading.check_open_orders(monday) >= 1
    filled = data_of(aistack.get("stock", f"/api/orders/{order_id}"))
    assert filled["status"] == "filled" and filled["filled_at"].startswith(monday.strftime("%Y-%m-%dT%H:%M"))


def test_performance(aistack):
    order(aistack, action="buy", quantity=100)
    for period in ("ytd", "1m", "3m", "1y", "all"):
        data = data_of(aistack.get("stock", f"/api/portfolio/performance?period={period}"))
        assert data["period"] == period and data["start_equity"] == 1_000_000
        assert data["benchmark_symbol"] == "000300" and data["source"] == "simulated"
        assert set(data["portfolio"]) == {"total_return", "annualized_return", "volatility", "sharpe_ratio", "max_drawdown"}
        assert set(data["benchmark"]) == set(data["portfolio"])
        assert data["equity_curve"][0]["equity"] == 1_000_000
        assert data["portfolio"]["total_return"] == pytest.approx(data["end_equity"] / 1_000_000 - 1, abs=1e-6)
        assert data["portfolio"]["max_drawdown"] <= 0
    assert_error(aistack.get("stock", "/api/portfolio/performance?period=5y"), 400, "INVALID_INPUT", "period")


@pytest.mark.parametrize("via", VIAS)
def test_orders_through_both_addresses(aistack):
    placed = order(aistack, action="buy", quantity=100)
    assert data_of(aistack.get("stock", f"/api/orders/{placed['order_id']}"))["status"] == "filled"
    assert portfolio(aistack)["positions"][0]["quantity"] == 100


def test_performance_by_hand(app, aistack):
    """Daily equity from the ledger and the closes, checked day by day, at fixed instants."""
    bought_at = next_day_at_ten(14)
    asked_at = bought_at + timedelta(days=7)
    injector = app.extensions["injector"]
    market = injector.get(MarketData)
    with app.app_context():
        trading = service(app)
        trading.ensure_account(aistack.member.id, bought_at)
        fill = trading.place_order(aistack.member.id, PlaceOrderReq(symbol=SYMBOL, action="buy", quantity=100), now=bought_at)
        cost = money(fill.filled_price * 100) + fill.fees
        data = injector.get(PortfolioService).performance(aistack.member.id, Period.ALL, now=asked_at)
    bars = market.history(SYMBOL, trade_date(bought_at) - timedelta(days=7), trade_date(asked_at), asked_at)
    closes = {bar.day.isoformat(): bar.close for bar in bars}
    curve = data["equity_curve"]
    assert curve[0] == {"date": previous_trading_day(trade_date(bought_at)).isoformat(), "equity": 1_000_000.0}
    assert curve[1]["date"] == trade_date(bought_at).isoformat() and len(curve) == 7  # the base and 6 trading days
    for point in curve[1:]:
        assert Decimal(str(point["equity"])) == INITIAL - cost + closes[point["date"]] * 100
    assert data["portfolio"]["total_return"] == pytest.approx(curve[-1]["equity"] / 1_000_000 - 1, abs=1e-6)
    index = market.index_history("000300", trade_date(bought_at) - timedelta(days=7), trade_date(asked_at), asked_at)
    by_day = {bar.day.isoformat(): float(bar.close) for bar in index}
    assert data["benchmark"]["total_return"] == pytest.approx(by_day[curve[-1]["date"]] / by_day[curve[0]["date"]] - 1, abs=1e-6)


def test_the_background_job_fills_resting_orders(app, aistack):
    """The registered task, run by the task queue (the Celery worker in the services profile)."""
    resting = order(aistack, action="buy", quantity=100, order_type="limit", price=float(quote_now(app).limit_up))
    with app.app_context():
        app.extensions["injector"].get(TaskQueue).enqueue(CHECK_STOCK_ORDERS)
    wait_for(
        app,
        lambda: data_of(aistack.get("stock", f"/api/orders/{resting['order_id']}"))["status"] == "filled",
        "the order check to fill a limit buy at the limit-up price",
        timeout=60,
    )
    assert portfolio(aistack)["positions"][0]["quantity"] == 100
