"""AI Stack's stock trading system (port 8015): quotes and daily bars from a market data port,
a paper-trading account per AI Stack account under A-share rules, its portfolio and
performance, and saved strategies with backtests."""
