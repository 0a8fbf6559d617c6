"""Plays Eastmoney's quote API as AkShare and efinance call it: push2 `GET /api/qt/stock/get`
(fltt=2: prices as decimals) and push2his `GET /api/qt/stock/kline/get` (klines as CSV lines:
date, open, close, high, low, volume in lots, amount). Unknown codes answer `data: null`."""

from .http_server import FakeServer, RecordedRequest, Reply

QUOTES = {
    "0.000001": {
        "f43": 11.52, "f44": 11.60, "f45": 11.41, "f46": 11.45, "f47": 1_234_567, "f51": 12.61, "f52": 10.31,
        "f57": "000001", "f58": "平安银行", "f60": 11.46, "f86": 1762482600, "f169": 0.06, "f170": 0.52,
    },
}
KLINES = {
    "1.600519": [
        "2025-01-02,1524.00,1488.00,1524.49,1480.00,50029,7464176640.00",
        "2025-01-03,1494.50,1475.00,1494.99,1467.01,32628,4828331776.00",
    ],
    "1.000300": ["2025-01-02,3931.00,3820.00,3933.00,3815.00,200000,1.0", "2025-01-03,3822.00,3780.00,3830.00,3770.00,190000,1.0"],
}


class FakeEastmoney(FakeServer):
    def route(self, request: RecordedRequest) -> Reply:
        secid = (request.query.get("secid") or [""])[0]
        if request.path == "/api/qt/stock/get":
            data = QUOTES.get(secid)
            return Reply(200, {"rc": 0, "rt": 4, "svr": 1, "lt": 1, "full": 1, "data": data})
        if request.path == "/api/qt/stock/kline/get":
            if secid not in KLINES:
                return Reply(200, {"rc": 0, "rt": 17, "data": None})
            code = secid.split(".")[1]
            data = {"code": code, "market": int(secid[0]), "name": "贵州茅台", "decimal": 2, "dktotal": 5000, "klines": KLINES[secid]}
            return Reply(200, {"rc": 0, "rt": 17, "svr": 1, "lt": 1, "full": 0, "data": data})
        return Reply(404, "not found")
