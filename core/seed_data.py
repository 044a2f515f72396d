"""A small built-in territory set for ``flask seed demo`` when the full KATO file is not at hand.

Real codes and Kazakh/Russian names from the classifier (KATO edition NK RK 11-2025): the 20 regions
and cities of republican significance, a few districts, towns, rural districts and villages of Almaty
region (Enbekshikazakh, Karasai and Talgar districts, Konaev), and Astana's city districts. Every
parent is in the set. English names are ours: the classifier has none.
"""

from __future__ import annotations

#: The demo citizen's village (Turgen, Turgen rural district, Enbekshikazakh district, Almaty region).
DEMO_VILLAGE = "194081100"
DEMO_RURAL_DISTRICT = "194081000"
DEMO_DISTRICT = "194000000"
DEMO_REGION = "190000000"


def _row(code: str, parent_code: str, level: int, name_kk: str, name_ru: str, name_en: str) -> dict:
    return {
        "code": code,
        "parent_code": parent_code or None,
        "level": level,
        "name_kk": name_kk,
        "name_ru": name_ru,
        "name_en": name_en,
    }


TERRITORIES: list[dict] = [
    # Regions and cities of republican significance (level 1)
    _row("100000000", "", 1, "Абай облысы", "область Абай", "Abai Region"),
    _row("110000000", "", 1, "Ақмола облысы", "Акмолинская область", "Akmola Region"),
    _row("150000000", "", 1, "Ақтөбе облысы", "Актюбинская область", "Aktobe Region"),
    _row("190000000", "", 1, "Алматы облысы", "Алматинская область", "Almaty Region"),
    _row("230000000", "", 1, "Атырау облысы", "Атырауская область", "Atyrau Region"),
    _row(
        "270000000",
        "",
        1,
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
    _row("310000000", "", 1, "Жамбыл облысы", "Жамбылская область", "Jambyl Region"),
    _row("330000000", "", 1, "Жетісу облысы", "область Жетісу", "Jetisu Region"),
    _row("350000000", "", 1, "Қарағанды облысы", "Карагандинская область", "Karaganda Region"),
    _row("390000000", "", 1, "Қостанай облысы", "Костанайская область", "Kostanay Region"),
    _row("430000000", "", 1, "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region"),
    _row("470000000", "", 1, "Маңғыстау облысы", "Мангистауская область", "Mangystau Region"),
    _row("550000000", "", 1, "Павлодар облысы", "Павлодарская область", "Pavlodar Region"),
    _row(
        "590000000",
        "",
        1,
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    _row("610000000", "", 1, "Түркістан облысы", "Туркестанская область", "Turkestan Region"),
    _row("620000000", "", 1, "Ұлытау облысы", "область Ұлытау", "Ulytau Region"),
    _row(
        "630000000",
        "",
        1,
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
    _row("710000000", "", 1, "Астана қ.", "г.Астана", "Astana"),
    _row("750000000", "", 1, "Алматы қ.", "г.Алматы", "Almaty"),
    _row("790000000", "", 1, "Шымкент қ.", "г.Шымкент", "Shymkent"),
    # Almaty region: Konaev; Enbekshikazakh, Karasai and Talgar districts
    _row("191000000", "190000000", 2, "Қонаев Қ.Ә.", "Қонаев Г.А.", "Konaev City Administration"),
    _row("191010000", "191000000", 3, "Қонаев қ.", "г.Қонаев", "Konaev"),
    _row(
        "194000000",
        "190000000",
        2,
        "Еңбекшіқазақ ауданы",
        "Енбекшиказахский район",
        "Enbekshikazakh District",
    ),
    _row("194020000", "194000000", 3, "Есік қ.ә.", "Есикская г.а.", "Esik Town Administration"),
    _row("194020100", "194020000", 4, "Есік қ.", "г.Есик", "Esik"),
    _row("194081000", "194000000", 3, "Түрген а.о.", "Тургенский с.о.", "Turgen Rural District"),
    _row("194081100", "194081000", 4, "Түрген а.", "с.Тургень", "Turgen"),
    _row("194081200", "194081000", 4, "Таутүрген а.", "с.Таутургень", "Tauturgen"),
    _row("195200000", "190000000", 2, "Қарасай ауданы", "Карасайский район", "Karasai District"),
    _row("195220000", "195200000", 3, "Қаскелең қ.ә.", "Каскеленская г.а.", "Kaskelen Town Administration"),
    _row("195220100", "195220000", 4, "Қаскелең қ.", "г.Каскелен", "Kaskelen"),
    _row("195231000", "195200000", 3, "Әйтей а.о.", "Айтейский с.о.", "Aitei Rural District"),
    _row("195231100", "195231000", 4, "Әйтей а.", "с.Айтей", "Aitei"),
    _row("196200000", "190000000", 2, "Талғар ауданы", "Талгарский район", "Talgar District"),
    _row("196220000", "196200000", 3, "Талғар қ.ә.", "Талгарская г.а.", "Talgar Town Administration"),
    _row("196220100", "196220000", 4, "Талғар қ.", "г.Талгар", "Talgar"),
    _row("196233000", "196200000", 3, "Алатау а.о.", "Алатауский с.о.", "Alatau Rural District"),
    _row("196233100", "196233000", 4, "Қызылқайрат а.", "с.Кызылкайрат", "Kyzylkairat"),
    # Astana's city districts
    _row("711110000", "710000000", 2, "Алматы ауданы", "район Алматы", "Almaty District"),
    _row("711210000", "710000000", 2, "Есіл ауданы", "район Есиль", "Esil District"),
    _row("711310000", "710000000", 2, "Сарыарқа ауданы", "район Сарыарка", "Saryarka District"),
    _row("711410000", "710000000", 2, "Байқоңыр ауданы", "район Байқоңыр", "Baikonyr District"),
    _row("711510000", "710000000", 2, "Нұра ауданы", "район Нұра", "Nura District"),
    _row("711610000", "710000000", 2, "Сарайшық ауданы", "район Сарайшық", "Saraishyk District"),
]
