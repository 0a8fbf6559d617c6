"""Paper trading under A-share rules: orders (market, limit, stop), their fills, cancellations and
the periodic check of resting orders.

Every change to an account's cash, positions and orders happens while its `StockAccount` row is
locked: an UPDATE of that row opens the transaction, which holds a row lock on PostgreSQL and the
database's write lock on SQLite, so concurrent orders of one account run one after the other and
each sees what the previous one committed. Buys hold cash (`frozen_cash`) and sells hold shares
(`frozen_quantity`) from placement until they fill or are cancelled, so neither cash nor a
position can go negative. Quotes are fetched before the lock is taken."""

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from injector import inject
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.listing import ListSpec, paginate
from internal.exception import NotFoundException
from internal.extension.database import SQLAlchemy, utcnow

from .fees import FeeSchedule
from .market import MarketData, TradingClock
from .market.base import Quote, cents, lot_rule
from .market.session import trade_date
from .models import StockAccount, StockOrder, StockPosition, StockTrade
from .schemas import Action, OrderStatus, OrderType, PlaceOrderReq

logger = logging.getLogger(__name__)

ORDER_LIST = ListSpec(
    name="StockOrder",
    sort={"created_at": StockOrder.created_at, "symbol": StockOrder.symbol, "quantity": StockOrder.quantity},
    default_sort="created_at",
    filters={
        "status": (StockOrder.status, OrderStatus),
        "symbol": (StockOrder.symbol, str),
        "action": (StockOrder.action, Action),
        "order_type": (StockOrder.order_type, OrderType),
    },
    date_column=StockOrder.created_at,
)


def sellable(position: StockPosition | None, today: date) -> int:
    """Shares that may be sold now: held, not held for open sells, not bought today (T+1)."""
    if position is None:
        return 0
    locked = position.bought_today if position.bought_on == today else 0
    return max(0, position.quantity - position.frozen_quantity - locked)


def crosses(order: StockOrder, price: Decimal) -> bool:
    """Whether an open order executes at the market price `price`."""
    if order.order_type == OrderType.MARKET.value:
        return True
    buy = order.action == Action.BUY.value
    if order.order_type == OrderType.LIMIT.value:
        return price <= order.price if buy else price >= order.price
    return price >= order.price if buy else price <= order.price  # stop: the price broke through


@inject
@dataclass
class TradingService:
    db: SQLAlchemy
    settings: Settings
    market: MarketData

    @property
    def fees(self) -> FeeSchedule:
        return FeeSchedule.of(self.settings)

    @property
    def clock(self) -> TradingClock:
        return TradingClock(self.settings.aistack_stock.stock_trading_hours)

    # --- the account ---------------------------------------------------------------------

    def ensure_account(self, account_id: uuid.UUID, now: datetime | None = None) -> StockAccount:
        """The caller's paper account, opened with the initial cash on first use."""
        session = self.db.session
        found = session.scalar(select(StockAccount).where(StockAccount.account_id == account_id))
        if found is not None:
            return found
        cash = cents(self.settings.aistack_stock.stock_initial_cash)
        insert = postgresql_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        opening = insert(StockAccount).values(
            id=uuid.uuid4(), account_id=account_id, initial_cash=cash, cash=cash, frozen_cash=Decimal("0"),
            opened_on=trade_date(now or datetime.now(UTC)),
        )
        # Two first requests at once: one opens the account, the other finds it.
        session.execute(opening.on_conflict_do_nothing(index_elements=["account_id"]))
        session.commit()
        return session.scalar(select(StockAccount).where(StockAccount.account_id == account_id))

    def _lock(self, account_id: uuid.UUID) -> StockAccount:
        """Start a transaction holding the account's lock (see the module's docstring)."""
        self.ensure_account(account_id)
        session = self.db.session
        session.commit()  # the lock must be the transaction's first statement (SQLite snapshots)
        session.execute(update(StockAccount).where(StockAccount.account_id == account_id).values(updated_at=utcnow()))
        session.expire_all()
        return session.scalar(select(StockAccount).where(StockAccount.account_id == account_id))

    def _position(self, account_id: uuid.UUID, symbol: str) -> StockPosition | None:
        return self.db.session.scalar(
            select(StockPosition).where(StockPosition.account_id == account_id, StockPosition.symbol == symbol)
        )

    # --- orders ----------------------------------------------------------------------------

    def place_order(self, account_id: uuid.UUID, req: PlaceOrderReq, now: datetime | None = None) -> StockOrder:
        now = (now or datetime.now(UTC)).astimezone(UTC)
        rule = lot_rule(req.symbol)
        if req.action is Action.BUY and not rule.allows(req.quantity):
            raise invalid_input("quantity", f"买入数量必须是{rule.describe()}")
        if req.order_type is not OrderType.MARKET and req.price is None:
            raise invalid_input("price", "限价单和止损单必须填写价格")
        quote = self.market.quote(req.symbol, now)
        price = req.price if req.order_type is not OrderType.MARKET else None
        if price is not None and not quote.limit_down <= price <= quote.limit_up:
            raise invalid_input("price", f"价格必须在跌停价{quote.limit_down}与涨停价{quote.limit_up}之间")
        try:
            account = self._lock(account_id)
            order = StockOrder(
                account_id=account_id,
                symbol=req.symbol,
                action=req.action.value,
                order_type=req.order_type.value,
                quantity=req.quantity,
                price=price,
                status=OrderStatus.OPEN.value,
                frozen_cash=Decimal("0"),
                fees=Decimal("0"),
                reason="",
                created_at=now,
            )
            today = trade_date(now)
            if req.action is Action.BUY:
                self._hold_cash(account, order, quote, now)
            else:
                self._hold_shares(account_id, order, today)
            self.db.session.add(order)
            self.db.session.flush()
            if req.order_type is OrderType.MARKET and self.clock.is_open(now):
                self._fill(account, order, quote.current_price, now)
            self.db.session.commit()
        except BaseException:
            self.db.session.rollback()
            raise
        return order

    def _hold_cash(self, account: StockAccount, order: StockOrder, quote: Quote, now: datetime) -> None:
        """Hold what the buy can cost at most: its limit price, the current price for a market order
        filled now, the day's limit-up price for one that waits or a stop."""
        if order.order_type == OrderType.LIMIT.value:
            reference = order.price
        elif order.order_type == OrderType.MARKET.value and self.clock.is_open(now):
            reference = quote.current_price
        else:
            reference = quote.limit_up
        amount = cents(reference * order.quantity)
        needed = amount + self.fees.charges("buy", amount).total
        available = account.cash - account.frozen_cash
        if needed > available:
            raise invalid_input("quantity", f"可用资金不足：需要{needed}元，可用{available}元")
        account.frozen_cash += needed
        order.frozen_cash = needed

    def _hold_shares(self, account_id: uuid.UUID, order: StockOrder, today: date) -> None:
        position = self._position(account_id, order.symbol)
        held = position.quantity if position else 0
        rule = lot_rule(order.symbol)
        if not rule.allows(order.quantity) and order.quantity != held:
            raise invalid_input("quantity", f"卖出数量必须是{rule.describe()}，不足的零股须一次全部卖出")
        free = sellable(position, today)
        if order.quantity > free:
            raise invalid_input("quantity", f"可卖数量不足：可卖{free}股（当日买入的股票下一交易日才能卖出）")
        position.frozen_quantity += order.quantity

    def _fill(self, account: StockAccount, order: StockOrder, price: Decimal, now: datetime) -> None:
        """Execute an open order at `price`, inside the account's lock."""
        amount = cents(price * order.quantity)
        charges = self.fees.charges(order.action, amount)
        today = trade_date(now)
        position = self._position(account.account_id, order.symbol)
        account.frozen_cash -= order.frozen_cash
        if order.action == Action.BUY.value:
            cost = amount + charges.total
            if cost > account.cash - account.frozen_cash:
                order.status, order.reason = OrderStatus.REJECTED.value, "成交时可用资金不足"
                order.frozen_cash = Decimal("0")
                return
            account.cash -= cost
            if position is None:
                position = StockPosition(
                    account_id=account.account_id,
                    symbol=order.symbol,
                    quantity=0,
                    frozen_quantity=0,
                    bought_today=0,
                    cost_total=Decimal("0"),
                )
                self.db.session.add(position)
            position.bought_today = (position.bought_today if position.bought_on == today else 0) + order.quantity
            position.bought_on = today
            position.quantity += order.quantity
            position.cost_total += cost
            cash_change = -cost
        else:
            proceeds = amount - charges.total
            # Average cost: the shares sold take their share of the cost (all of it when all are sold).
            if order.quantity == position.quantity:
                released = position.cost_total
            else:
                released = cents(position.cost_total * order.quantity / position.quantity)
            position.cost_total -= released
            position.quantity -= order.quantity
            position.frozen_quantity -= order.quantity
            account.cash += proceeds
            cash_change = proceeds
            if position.quantity == 0:
                self.db.session.delete(position)
        order.status = OrderStatus.FILLED.value
        order.filled_price = price
        order.fees = charges.total
        order.filled_at = now
        order.frozen_cash = Decimal("0")
        self.db.session.add(
            StockTrade(
                account_id=account.account_id,
                order_id=order.id,
                symbol=order.symbol,
                action=order.action,
                quantity=order.quantity,
                price=price,
                amount=amount,
                commission=charges.commission,
                stamp_duty=charges.stamp_duty,
                transfer_fee=charges.transfer_fee,
                cash_change=cash_change,
                trade_date=today,
            )
        )

    def cancel_order(self, account_id: uuid.UUID, order_id: uuid.UUID) -> StockOrder:
        try:
            account = self._lock(account_id)
            order = self._owned_order(account_id, order_id)
            if order.status != OrderStatus.OPEN.value:
                raise invalid_input("order_id", f"只能撤销未成交的订单，该订单状态为{order.status}")
            self._release(account, order)
            order.status = OrderStatus.CANCELLED.value
            self.db.session.commit()
        except BaseException:
            self.db.session.rollback()
            raise
        return order

    def _release(self, account: StockAccount, order: StockOrder) -> None:
        """Give back what an open order held (a buy's cash, a sell's shares), inside the account's lock."""
        if order.action == Action.BUY.value:
            account.frozen_cash -= order.frozen_cash
            order.frozen_cash = Decimal("0")
        else:
            self._position(account.account_id, order.symbol).frozen_quantity -= order.quantity

    def _owned_order(self, account_id: uuid.UUID, order_id: uuid.UUID) -> StockOrder:
        order = self.db.session.get(StockOrder, order_id)
        if order is None or order.account_id != account_id:
            raise NotFoundException("订单不存在")
        return order

    def get_order(self, account_id: uuid.UUID, order_id: uuid.UUID) -> StockOrder:
        return self._owned_order(account_id, order_id)

    def list_orders(self, account_id: uuid.UUID, query):
        stmt = ORDER_LIST.apply(select(StockOrder).where(StockOrder.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=StockOrder.id)

    # --- the periodic check ----------------------------------------------------------------

    def expire_lapsed_orders(self, now: datetime) -> int:
        """Open orders past their day's close (TradingClock.order_deadline) become `expired` and
        give back what they held; returns how many. Part of the periodic check; idempotent."""
        session = self.db.session
        placed = session.execute(
            select(StockOrder.id, StockOrder.account_id, StockOrder.created_at).where(
                StockOrder.status == OrderStatus.OPEN.value, StockOrder.created_at <= now
            )
        ).all()
        session.commit()
        lapsed: dict[uuid.UUID, list[uuid.UUID]] = {}
        for order_id, account_id, created_at in placed:
            if self.clock.order_deadline(created_at) <= now:
                lapsed.setdefault(account_id, []).append(order_id)

        def expire(account: StockAccount) -> int:
            # Still open once the account is locked: a fill or a cancellation may have come first.
            orders = session.scalars(
                select(StockOrder).where(
                    StockOrder.id.in_(lapsed[account.account_id]), StockOrder.status == OrderStatus.OPEN.value
                )
            ).all()
            for order in orders:
                self._release(account, order)
                order.status, order.reason = OrderStatus.EXPIRED.value, "当日有效的订单收盘前未成交，已失效"
            return len(orders)

        return self._each_account_locked(lapsed, expire, "Expiring the lapsed orders")

    def check_open_orders(self, now: datetime | None = None) -> int:
        """Fill the open orders whose price the market has crossed (market orders waiting for the
        open included); returns how many filled. Run by the background job; idempotent."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        self.expire_lapsed_orders(now)
        if not self.clock.is_open(now):
            return 0
        session = self.db.session
        # An order never fills before the instant it was placed (replays and tests pass `now`).
        waiting = (StockOrder.status == OrderStatus.OPEN.value, StockOrder.created_at <= now)
        pending = session.execute(select(StockOrder.account_id, StockOrder.symbol).where(*waiting).distinct()).all()
        session.commit()
        quotes: dict[str, Quote] = {}
        for symbol in {symbol for _, symbol in pending}:
            try:
                quotes[symbol] = self.market.quote(symbol, now)
            except Exception:  # one unreachable symbol must not stop the rest
                logger.exception("No quote for %s; its open orders wait for the next check", symbol)

        def fill(account: StockAccount) -> int:
            orders = session.scalars(
                select(StockOrder)
                .where(StockOrder.account_id == account.account_id, *waiting)
                .order_by(StockOrder.created_at, StockOrder.id)
            ).all()
            filled = 0
            for order in orders:
                quote = quotes.get(order.symbol)
                if quote is not None and crosses(order, quote.current_price):
                    self._fill(account, order, quote.current_price, now)
                    session.flush()
                    filled += order.status == OrderStatus.FILLED.value
            return filled

        return self._each_account_locked({account_id for account_id, _ in pending}, fill, "Checking the open orders")

    def _each_account_locked(self, account_ids: Iterable[uuid.UUID], work: Callable[[StockAccount], int], what: str) -> int:
        """`work` under each account's lock, one transaction per account: an account that fails
        is rolled back and logged, the others go on. Returns the sum of what `work` returned."""
        done = 0
        for account_id in account_ids:
            try:
                count = work(self._lock(account_id))
                self.db.session.commit()
                done += count
            except Exception:
                self.db.session.rollback()
                logger.exception("%s of stock account %s failed", what, account_id)
        return done
