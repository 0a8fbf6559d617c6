"""The stock trading system's background job: the periodic check that fills open limit and stop
orders whose price the market crossed (and market orders that waited for the open)."""

from celery import shared_task
from flask import current_app

from internal.service import task_names

from .trading_service import TradingService


@shared_task(name=task_names.CHECK_STOCK_ORDERS)
def check_stock_orders() -> None:
    """Run by Celery beat in production, by a timer in the embedded profile."""
    current_app.extensions["injector"].get(TradingService).check_open_orders()
