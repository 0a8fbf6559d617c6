"""Plays Gaode (AMap) web service APIs: district lookup, weather forecast and IP location."""

from .http_server import FakeServer, RecordedRequest, Reply

DISTRICTS = {"广州": "440100", "深圳": "440300"}
CITY_NAMES = {"440100": ("广东", "广州市"), "440300": ("广东", "深圳市")}


def _cast(date: str, week: str, day: str, night: str, high: str, low: str) -> dict:
    return {
        "date": date, "week": week, "dayweather": day, "nightweather": night, "daytemp": high, "nighttemp": low,
        "daywind": "南", "nightwind": "南", "daypower": "1-3", "nightpower": "1-3",
    }


class FakeAmap(FakeServer):
    def __init__(self, api_key: str):
        super().__init__()
        self.api_key = api_key

    def route(self, request: RecordedRequest) -> Reply:
        query = {k: v[0] for k, v in request.query.items()}
        if query.get("key") != self.api_key:
            return Reply(200, {"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"})
        if request.path == "/v3/config/district":
            adcode = DISTRICTS.get(query.get("keywords", "").removesuffix("市"))
            districts = [{"adcode": adcode, "name": CITY_NAMES[adcode][1], "level": "city"}] if adcode else []
            return Reply(200, {"status": "1", "info": "OK", "infocode": "10000", "count": str(len(districts)), "districts": districts})
        if request.path == "/v3/weather/weatherInfo":
            province, city = CITY_NAMES.get(query.get("city", ""), (None, None))
            if city is None or query.get("extensions") != "all":
                return Reply(200, {"status": "0", "info": "INVALID_PARAMS", "infocode": "20000"})
            casts = [_cast("2024-07-20", "6", "多云", "阵雨", "33", "27"), _cast("2024-07-21", "7", "晴", "晴", "34", "28")]
            forecast = {"city": city, "adcode": query["city"], "province": province, "reporttime": "2024-07-20 10:02:31", "casts": casts}
            return Reply(200, {"status": "1", "info": "OK", "infocode": "10000", "count": "1", "forecasts": [forecast]})
        if request.path == "/v3/ip":
            if query.get("ip") == "114.247.50.2":
                return Reply(200, {"status": "1", "info": "OK", "infocode": "10000", "province": "北京市", "city": "北京市", "adcode": "110000"})
            return Reply(200, {"status": "1", "info": "OK", "infocode": "10000", "province": [], "city": [], "adcode": [], "rectangle": []})
        return Reply(404, "Not Found")
