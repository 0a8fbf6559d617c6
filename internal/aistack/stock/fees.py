"""What a fill costs under A-share rules: commission on both sides (a rate with a minimum),
stamp duty on sells, transfer fee on both sides, each rounded half-up to the fen. Orders and
backtests charge through this one schedule."""

from dataclasses import dataclass
from decimal import Decimal

from config import Settings

from .market.base import cents

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Charges:
    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.commission + self.stamp_duty + self.transfer_fee


@dataclass(frozen=True)
class FeeSchedule:
    commission_rate: Decimal
    commission_min: Decimal
    stamp_duty_rate: Decimal
    transfer_fee_rate: Decimal

    @classmethod
    def of(cls, settings: Settings) -> "FeeSchedule":
        stock = settings.aistack_stock
        return cls(
            stock.stock_commission_rate, stock.stock_commission_min, stock.stock_stamp_duty_rate, stock.stock_transfer_fee_rate
        )

    def charges(self, action: str, amount: Decimal) -> Charges:
        if amount <= 0:
            return Charges(ZERO, ZERO, ZERO)
        commission = max(cents(amount * self.commission_rate), cents(self.commission_min))
        stamp_duty = cents(amount * self.stamp_duty_rate) if action == "sell" else ZERO
        return Charges(commission, stamp_duty, cents(amount * self.transfer_fee_rate))
