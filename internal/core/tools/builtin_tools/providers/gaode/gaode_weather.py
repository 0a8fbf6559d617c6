"""City weather forecast from Gaode: the city name resolves to an adcode, then the forecast for it."""

from langchain_core.tools import ToolException

from .amap import AmapTool


def _describe_day(cast: dict) -> str:
    return (
        f"{cast.get('date')} (week {cast.get('week')}): "
        f"day {cast.get('dayweather')} {cast.get('daytemp')}°C {cast.get('daywind')}风 {cast.get('daypower')}级; "
        f"night {cast.get('nightweather')} {cast.get('nighttemp')}°C {cast.get('nightwind')}风 {cast.get('nightpower')}级"
    )


class GaodeWeatherTool(AmapTool):
    def execute(self, city: str) -> str:
        districts = self.amap_get("/v3/config/district", {"keywords": city, "subdistrict": 0}).get("districts") or []
        if not districts:
            raise ToolException(f"{self.name} found no city named {city}")
        adcode = districts[0].get("adcode")
        body = self.amap_get("/v3/weather/weatherInfo", {"city": adcode, "extensions": "all"})
        forecasts = body.get("forecasts") or []
        if not forecasts:
            raise ToolException(f"{self.name} got no forecast for {city}")
        forecast = forecasts[0]
        header = f"{forecast.get('city')} ({forecast.get('province')}) forecast, reported {forecast.get('reporttime')}:"
        return "\n".join([header, *(_describe_day(cast) for cast in forecast.get("casts") or [])])
