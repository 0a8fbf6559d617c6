"""Plays the public hot lists the trend analysis system reads, in each platform's real JSON:
Weibo `GET /ajax/side/hotSearch` ({"ok":1,"data":{"realtime":[{word, num, rank, label_name,
note, is_ad?}], "hotgov":…}}), Zhihu `GET /api/v3/feed/topstory/hot-lists/total`
({"data":[{"type":"hot_list_feed","target":{"id","title","excerpt","answer_count"},
"detail_text":"1234 万热度"}]}) and Baidu `GET /api/board?platform=wise&tab=realtime`
({"success":true,"data":{"cards":[{"component":"hotList","content":[{word, hotScore, url,
desc}]}]}}). `lists` can be edited by tests; `down` makes every route answer 502."""

from .http_server import FakeServer, RecordedRequest, Reply


def weibo_list(words: list[tuple[str, int]], advert: str | None = None) -> dict:
    realtime = [
        {"word": word, "note": word, "num": num, "rank": i, "realpos": i + 1, "label_name": "热" if i == 0 else "", "flag": 0,
         "topic_flag": 0, "word_scheme": f"#{word}#"}
        for i, (word, num) in enumerate(words)
    ]  # fmt: skip
    if advert:
        realtime.insert(1, {"word": advert, "note": advert, "num": 0, "is_ad": 1, "icon_desc": "荐", "rank": 1, "realpos": 2})
    return {"ok": 1, "data": {"realtime": realtime, "hotgov": {"word": "#政务热搜#", "note": "政务热搜"}}}


def zhihu_list(titles: list[tuple[str, str]]) -> dict:
    return {
        "data": [
            {"type": "hot_list_feed", "style_type": "1", "id": f"0_{i}", "card_id": f"Q_{1000 + i}",
             "target": {"id": 1000 + i, "title": title, "url": f"https://api.zhihu.com/questions/{1000 + i}", "type": "question",
                        "excerpt": f"{title}的讨论", "answer_count": 10 + i, "follower_count": 100},
             "detail_text": heat, "trend": 0, "debut": False}
            for i, (title, heat) in enumerate(titles)
        ],  # fmt: skip
        "paging": {"is_end": True, "next": "", "previous": ""},
        "fresh_text": "热榜已更新",
    }


def baidu_board(words: list[tuple[str, str]]) -> dict:
    content = [
        {"word": word, "query": word, "hotScore": score, "index": i, "url": f"https://www.baidu.com/s?wd={word}", "desc": f"{word}的摘要"}
        for i, (word, score) in enumerate(words)
    ]
    return {"success": True, "data": {"cards": [{"component": "hotList", "content": content, "more": 1}]}, "error": {}}


class FakeHotLists(FakeServer):
    def __init__(self):
        super().__init__()
        self.down = False
        self.lists = {
            "/ajax/side/hotSearch": weibo_list([("人工智能大会开幕", 2_345_678), ("春节档电影票房", 1_234_567)], advert="某品牌新品"),
            "/api/v3/feed/topstory/hot-lists/total": zhihu_list([("如何看待人工智能的发展？", "1234 万热度"), ("年轻人为什么爱上徒步？", "856 万热度")]),
            "/api/board": baidu_board([("人工智能新规发布", "4960000"), ("冬季流感高发", "4800000")]),
        }

    def route(self, request: RecordedRequest) -> Reply:
        if self.down:
            return Reply(502, "bad gateway")
        if request.path in self.lists:
            return Reply(200, self.lists[request.path])
        return Reply(404, {"ok": 0, "msg": "not found"})
