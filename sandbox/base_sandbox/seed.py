"""Demo data and a fast bulk generator, so demos and benchmarks start from realistic shops."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from .errors import JSON
from .orders import JST, PREPAID_PAYMENTS, valid_payment
from .state import SandboxState

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_REDIRECT_URI = "http://127.0.0.1:3000/oauth/callback"
DEMO_SHOP_ID = "demo-shop"
DEMO_SHOP_NAME = "デモショップ"

BUYERS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("山田", "太郎", "1500001", "東京都", "渋谷区神宮前1-2-3", "コーポ神宮前101"),
    ("佐藤", "花子", "5300001", "大阪府", "大阪市北区梅田2-4-9", ""),
    ("鈴木", "一郎", "4600008", "愛知県", "名古屋市中区栄3-5-12", "栄ビル5F"),
    ("高橋", "美咲", "8120011", "福岡県", "福岡市博多区博多駅前1-1-1", ""),
    ("田中", "健太", "0600001", "北海道", "札幌市中央区北一条西4-2", "サッポロハイツ203"),
    ("伊藤", "さくら", "9800021", "宮城県", "仙台市青葉区中央1-3-1", ""),
    ("渡辺", "翔", "6008216", "京都府", "京都市下京区東塩小路町721", "京都マンション302"),
    ("中村", "結衣", "2310023", "神奈川県", "横浜市中区山下町10", ""),
    ("小林", "大輔", "7300011", "広島県", "広島市中区基町6-78", ""),
    ("加藤", "愛", "9000006", "沖縄県", "那覇市おもろまち4-1-1", "おもろハイム1102"),
)
PRODUCTS: tuple[tuple[str, int], ...] = (
    ("手作り陶器マグカップ（藍）", 3200),
    ("リネンのハンカチ 3枚セット", 1800),
    ("木製カッティングボード", 4500),
    ("有機ほうじ茶 100g", 1200),
    ("ハンドメイド革キーケース", 5800),
    ("季節のドライフラワーブーケ", 3900),
    ("天然石ピアス（ラピスラズリ）", 2600),
    ("オリジナルトートバッグ", 2980),
    ("蜜蝋キャンドル", 1500),
    ("京都の抹茶クッキー缶", 2160),
    ("帆布ペンケース", 2200),
    ("真鍮のブックマーク", 1650),
)
DEFAULT_PAYMENT_WEIGHTS: dict[str, float] = {
    "creditcard": 0.55,
    "paypal": 0.1,
    "cvs": 0.08,
    "base_bt": 0.05,
    "cod": 0.08,
    "atobarai": 0.06,
    "amazon_pay": 0.05,
    "carrier_01": 0.03,
}


def _buyer(i: int) -> JSON:
    last, first, zip_code, pref, addr, addr2 = BUYERS[i % len(BUYERS)]
    return {
        "last_name": last,
        "first_name": first,
        "zip_code": zip_code,
        "prefecture": pref,
        "address": addr,
        "address2": addr2,
        "mail_address": f"buyer{i + 1}@example.jp",
        "tel": f"090{12345670 + i:08d}",
    }


def _items(*picks: tuple[int, int]) -> list[JSON]:
    return [{"title": PRODUCTS[p][0], "price": PRODUCTS[p][1], "amount": n} for p, n in picks]


def seed_demo(state: SandboxState, redirect_uri: str = DEMO_REDIRECT_URI) -> JSON:
    """Create demo-client / demo-shop and ~12 orders spread over the last 6¼ days: all of them inside
    the default import window (7 days), with 18 hours to spare for a local run left running."""
    state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri)
    state.add_shop(DEMO_SHOP_ID, DEMO_SHOP_NAME, shop_introduction="手仕事の雑貨と器のお店です。")
    now = state.clock.now_int()
    hour, day = 3600, 86400
    specs: list[JSON] = [
        {"payment": "creditcard", "ago": 2 * hour, "items": _items((0, 1))},
        {
            "payment": "creditcard",
            "ago": day + 3 * hour,
            "items": _items((1, 2), (3, 1), (8, 3)),
            "remark": "ギフト包装をお願いします。",
            "delivery_date": datetime.fromtimestamp(now + 5 * day, JST).strftime("%Y-%m-%d"),
            "delivery_time_zone": "1416",
        },
        {"payment": "cod", "ago": 3 * day, "items": _items((2, 1), (10, 1))},
        {"payment": "cvs", "paid": False, "ago": day + 6 * hour, "items": _items((4, 1))},
        {"payment": "cvs", "paid": True, "ago": 4 * day, "items": _items((5, 1))},
        {"payment": "base_bt", "paid": False, "ago": 2 * day + 5 * hour, "items": _items((6, 2))},
        {"payment": "atobarai", "ago": 5 * day, "items": _items((7, 1), (11, 2))},
        {"payment": "paypal", "ago": 6 * day, "items": _items((9, 2))},
        {
            "payment": "creditcard",
            "cart_app": "YamatoDelivery",
            "ago": 3 * day + 4 * hour,
            "items": _items((3, 2)),
        },
        {
            "payment": "creditcard",
            "dispatch_status": "dispatched",
            "ago": 5 * day + 12 * hour,
            "items": _items((0, 2)),
            "delivery_company_id": 1,
            "tracking_number": "123456789012",
        },
        {
            "payment": "creditcard",
            "dispatch_status": "cancelled",
            "ago": 5 * day + 18 * hour,
            "items": _items((5, 1)),
        },
        {
            "payment": "creditcard",
            "ago": 6 * day + 6 * hour,
            "items": _items((8, 1)),
            "subscription": {"unique_key": "SUBDEMO0001", "repeat_number": 3, "repeat_times": None},
        },
    ]
    created = []
    for i, spec in enumerate(specs):
        body = dict(spec)
        body["ordered"] = now - int(body.pop("ago"))
        body.update(_buyer(i))
        created.append(state.create_order(DEMO_SHOP_ID, body).unique_key)
    return {"client_id": DEMO_CLIENT_ID, "shop_id": DEMO_SHOP_ID, "orders": created}


def generate_orders(state: SandboxState, shop_id: str, spec: JSON) -> JSON:
    """Bulk-create realistic orders (deterministic with `seed`); 10k orders take well under a second."""
    count = int(spec.get("count", 100))
    days = float(spec.get("days", 30))
    items_min = int(spec.get("items_min", 1))
    items_max = max(items_min, int(spec.get("items_max", 3)))
    rng = random.Random(spec.get("seed", 0))
    weights = _payment_weights(spec.get("payments"))
    dispatched_ratio = float(spec.get("dispatched_ratio", 0.3))
    cancelled_ratio = float(spec.get("cancelled_ratio", 0.03))
    unpaid_ratio = float(spec.get("unpaid_ratio", 0.3))
    names, probs = list(weights), list(weights.values())
    now = state.clock.now_int()
    keys: list[str] = []
    with state.lock:
        for _ in range(count):
            payment = rng.choices(names, probs)[0]
            ordered = now - int(rng.random() * days * 86400)
            roll = rng.random()
            status = ""
            if roll < cancelled_ratio:
                status = "cancelled"
            elif roll < cancelled_ratio + dispatched_ratio:
                status = "dispatched"
            picks = [
                (rng.randrange(len(PRODUCTS)), rng.choice((1, 1, 1, 2, 3)))
                for _ in range(rng.randint(items_min, items_max))
            ]
            body: dict[str, Any] = {
                "payment": payment,
                "ordered": ordered,
                "items": _items(*picks),
                "dispatch_status": status,
            }
            if payment in PREPAID_PAYMENTS:
                body["paid"] = status != "" or rng.random() >= unpaid_ratio
            body.update(_buyer(rng.randrange(len(BUYERS) * 10)))
            keys.append(state.create_order(shop_id, body).unique_key)
    return {"count": len(keys), "unique_keys": keys}


def _payment_weights(raw: Any) -> dict[str, float]:
    if not raw:
        return dict(DEFAULT_PAYMENT_WEIGHTS)
    out = {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {str(p): 1.0 for p in raw}
    for name in out:
        if not valid_payment(name):
            raise ValueError(f"bad payment name {name!r}")
    return out
