"""AI Stack stock trading: market data. The simulated market is deterministic and keeps the
daily limits; the Eastmoney adapter reads that source's real response format from a fake."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from internal.aistack.gateway.errors import ServiceUnavailableException
from internal.aistack.stock.market.base import price_limits
from internal.aistack.stock.market.eastmoney import EastmoneyMarket
from internal.aistack.stock.market.session import TradingClock, previous_trading_day
from internal.aistack.stock.market.simulated import SimulatedMarket
from internal.exception import NotFoundException
from test.fakes.eastmoney import FakeEastmoney

from .client import VIAS, assert_error, data_of

AT = datetime(2025, 11, 7, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai, a Friday


@pytest.fixture
def via():
    return "prefix"


def test_same_symbol_and_day_give_the_same_prices():
    first, second = SimulatedMarket(TradingClock(False)), SimulatedMarket(TradingClock(False))
    assert first.quote("000001", AT) == second.quote("000001", AT)
    bars = first.history("600519", date(2025, 1, 1), date(2025, 3, 31), AT)
    # Asked in another order from another instance: the same bars.
    second.history("600519", date(2025, 3, 1), date(2025, 3, 31), AT)
    assert second.history("600519", date(2025, 1, 1), date(2025, 3, 31), AT) == bars
    assert first.quote("000001", AT) != first.quote("600519", AT)


@pytest.mark.parametrize("symbol, rate", [("600519", Decimal("0.10")), ("300750", Decimal("0.20")), ("688981", Decimal("0.20"))])
def test_bars_are_trading_days_inside_the_daily_limits(symbol, rate):
    bars = SimulatedMarket(TradingClock(True)).history(symbol, date(2024, 1, 1), date(2024, 12, 31), AT)
    # The Shanghai exchange traded on 242 days of 2024: weekdays less Spring Festival, National Day...
    assert len(bars) == 242 and all(bar.day.weekday() < 5 for bar in bars)
    assert not {bar.day for bar in bars} & {date(2024, 2, 12), date(2024, 10, 1), date(2024, 10, 7)}
    for previous, bar in zip(bars, bars[1:]):
        down, up = price_limits(symbol, previous.close)
        assert down == (previous.close * (1 - rate)).quantize(Decimal("0.01")) or abs(down - previous.close * (1 - rate)) <= Decimal("0.005")
        assert down <= bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high <= up
        assert bar.volume > 0 and bar.volume % 100 == 0


def test_trading_hours():
    clock = TradingClock(True)
    assert clock.is_open(datetime(2025, 11, 7, 2, 0, tzinfo=UTC))  # 10:00 Shanghai
    assert not clock.is_open(datetime(2025, 11, 7, 4, 0, tzinfo=UTC))  # 12:00, the lunch break
    assert clock.is_open(datetime(2025, 11, 7, 6, 59, tzinfo=UTC))  # 14:59
    assert not clock.is_open(datetime(2025, 11, 7, 7, 0, tzinfo=UTC))  # 15:00, closed
    assert not clock.is_open(datetime(2025, 11, 8, 2, 0, tzinfo=UTC))  # Saturday
    assert TradingClock(False).is_open(datetime(2025, 11, 8, 15, 0, tzinfo=UTC))
    # National Day 2025: closed through 8 October, a Wednesday; the day before it was 30 September.
    assert not clock.is_open(datetime(2025, 10, 8, 2, 0, tzinfo=UTC))
    assert clock.is_open(datetime(2025, 10, 9, 2, 0, tzinfo=UTC))
    assert previous_trading_day(date(2025, 10, 9)) == date(2025, 9, 30)
    assert clock.order_deadline(datetime(2025, 9, 30, 8, 0, tzinfo=UTC)) == datetime(2025, 10, 9, 7, 0, tzinfo=UTC)
    # Day orders (2025-11-07 is a Friday): they lapse at the close of the day they are for.
    friday_close = datetime(2025, 11, 7, 7, 0, tzinfo=UTC)
    assert clock.order_deadline(datetime(2025, 11, 7, 2, 0, tzinfo=UTC)) == friday_close
    monday_close = datetime(2025, 11, 10, 7, 0, tzinfo=UTC)
    assert clock.order_deadline(friday_close) == monday_close  # placed at the close: the next trading day
    assert clock.order_deadline(datetime(2025, 11, 8, 2, 0, tzinfo=UTC)) == monday_close  # Saturday
    around_the_clock = TradingClock(False).order_deadline(datetime(2025, 11, 8, 15, 59, tzinfo=UTC))  # 23:59 Saturday
    assert around_the_clock == datetime(2025, 11, 8, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    # Before the open the quote is the previous close, unchanged.
    before = SimulatedMarket(clock).quote("000001", datetime(2025, 11, 7, 1, 0, tzinfo=UTC))
    assert before.current_price == before.previous_close and before.volume == 0


@pytest.mark.parametrize("via", VIAS)
def test_quote_through_both_addresses(aistack):
    quote = data_of(aistack.get("stock", "/api/stocks/000001/quote"))
    assert quote["source"] == "simulated" and quote["symbol"] == "000001"
    assert quote["limit_down"] <= quote["current_price"] <= quote["limit_up"]
    assert quote["change"] == pytest.approx(quote["current_price"] - quote["previous_close"])
    assert quote["change_percent"] == pytest.approx(round(quote["change"] * 100 / quote["previous_close"], 2))
    assert quote["timestamp"].endswith("Z") and quote["volume"] >= 0


def test_history(aistack, app):
    data = data_of(aistack.get("stock", "/api/stocks/600519/history?start=2025-01-01&end=2025-01-10"))
    assert data["source"] == "simulated"
    # Trading days: weekdays but 1 January, a holiday of the exchange.
    assert [bar["date"] for bar in data["bars"]] == ["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10"]
    again = data_of(aistack.get("stock", "/api/stocks/600519/history?start=2025-01-01&end=2025-01-10"))
    assert again["bars"] == data["bars"]


def test_bad_market_requests(aistack):
    assert_error(aistack.get("stock", "/api/stocks/12345/quote"), 400, "INVALID_INPUT", "symbol")
    assert_error(aistack.get("stock", "/api/stocks/900001/quote"), 400, "INVALID_INPUT", "symbol")
    assert_error(aistack.get("stock", "/api/stocks/000001/history?start=2025-02-01&end=2025-01-01"), 400, "INVALID_INPUT", "end")
    assert_error(aistack.get("stock", "/api/stocks/000001/history?start=2015-01-01&end=2025-01-01"), 400, "INVALID_INPUT", "end")
    assert_error(aistack.get("stock", "/api/stocks/000001/history?start=yesterday&end=2025-01-01"), 400, "INVALID_INPUT", "start")
    assert_error(aistack.get("stock", "/api/stocks/000001/history"), 400, "INVALID_INPUT", "start")


def test_quotes_need_a_caller(client):
    resp = client.get("/aistack/stock/api/stocks/000001/quote")
    assert_error(resp, 401, "UNAUTHORIZED")


@pytest.fixture
def eastmoney():
    server = FakeEastmoney().start()
    yield server
    server.stop()


def test_eastmoney_adapter_reads_the_real_format(eastmoney):
    market = EastmoneyMarket(eastmoney.url, eastmoney.url, 5)
    quote = market.quote("000001", AT)
    assert (quote.current_price, quote.previous_close, quote.limit_up, quote.limit_down) == (
        Decimal("11.52"), Decimal("11.46"), Decimal("12.61"), Decimal("10.31")
    )
    assert quote.change == Decimal("0.06") and quote.change_percent == Decimal("0.52")
    assert quote.volume == 123_456_700 and quote.source == "eastmoney"
    assert quote.timestamp == datetime.fromtimestamp(1762482600, UTC)
    asked = eastmoney.requests[-1]
    assert asked.path == "/api/qt/stock/get" and asked.query["secid"] == ["0.000001"] and asked.query["fltt"] == ["2"]

    bars = market.history("600519", date(2025, 1, 1), date(2025, 1, 3), AT)
    assert [(b.day, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (date(2025, 1, 2), Decimal("1524.00"), Decimal("1524.49"), Decimal("1480.00"), Decimal("1488.00"), 5_002_900),
        (date(2025, 1, 3), Decimal("1494.50"), Decimal("1494.99"), Decimal("1467.01"), Decimal("1475.00"), 3_262_800),
    ]
    asked = eastmoney.requests[-1]
    assert asked.query["secid"] == ["1.600519"] and asked.query["klt"] == ["101"] and asked.query["beg"] == ["20250101"]
    assert [bar.close for bar in market.index_history("000300", date(2025, 1, 1), date(2025, 1, 3), AT)] == [Decimal("3820.00"), Decimal("3780.00")]
    assert eastmoney.requests[-1].query["secid"] == ["1.000300"]


def test_eastmoney_adapter_failures(eastmoney):
    with pytest.raises(NotFoundException):
        EastmoneyMarket(eastmoney.url, eastmoney.url, 5).quote("600000", AT)
    with pytest.raises(NotFoundException):
        EastmoneyMarket(eastmoney.url, eastmoney.url, 5).history("600000", date(2025, 1, 1), date(2025, 1, 3), AT)
    with pytest.raises(ServiceUnavailableException):
        EastmoneyMarket(eastmoney.url + "/missing", eastmoney.url, 5).quote("000001", AT)
