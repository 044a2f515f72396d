"""Demo petitions for ``flask seed demo``: a petition at every stage of its life, replayed through the services.

The petitions come from the documents (``../shared/DOMAIN.md`` §2.7): playgrounds in Turgen rural district,
the road up the Turgen gorge, drinking water in the villages of Karasai district, a rehabilitation centre for
children with cerebral palsy in Talgar, the «Кабанды» and «Шибут» dams in Raiymbek district, pastures in
Kegen, separate waste collection in Almaty, solar street lights in the villages of Turkestan region, stray
animals, rehabilitation centres in every regional centre and the veterinary rules for livestock sales at
Kurban Ait. Between them they show every stage:

========================  ==========================================================================
in moderation             Almaty's waste (due in a few working days), Turkestan's lights (overdue)
returned for changes      stray animals (the moderator's note asks for a clear demand, no third persons)
rejected                  a second petition for the Talgar centre (public reason: a duplicate)
draft                     Kegen's pastures
collecting, unlisted      the Kapchagay shore at Konaev (below the initial supporters)
collecting, local         Karasai's drinking water (listed, far from 2,500; paper sheets from Aitei)
collecting, national      rehabilitation centres in every regional centre (the Government: 50,000)
collecting, on paper      the Raiymbek dams (a batch entered by the akimat, with duplicates and errors)
reached, answered         Turgen's playgrounds (supported with measures; resolved)
reached, escalated        the Talgar centre ("not supported", the signers dissatisfied: now at the region)
reached, awaiting         the Turgen – Batan road (taken up by the district akimat)
not reached               Kurban Ait (the six months ended far below 50,000)
========================  ==========================================================================

Nothing is written directly: each petition is a short script of service calls (filing, moderation, signing
and ``after_signing``, paper batches, then the loop's answers and ratings) run on the loop's replayed clock
(``feedback.seed.Replay``), with the petitions sweep and the loop's sweep run as their hourly jobs would
have run them. Every date is counted back from today, so a fresh demo always has petitions collecting now.

The signers are demo citizens created here (``signer001@demo.tyndau.kz`` …, the demo password) with valid
IINs and homes in the villages and towns the petitions concern. The populations the thresholds are computed
from are set with ``set_populations`` (KATO has none); three authorities get a small "demo threshold" so that
their petitions can reach it with a few dozen signers.

The replayed history is not news: what it queues (mail to authors, signers, officers) is dropped. Flushes,
never commits; adds nothing when the demo signers are already there. Runs after the loop's demo
(``feedback.seed``), whose accounts it uses; stories whose places are not in the territory set are left out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core.accounts.models import User
from core.authorities.services import find_authority
from core.db import db, pending_jobs
from core.iin import control_digit
from core.territories.models import Territory
from feedback import services as loop
from feedback.models import Case, Decision
from feedback.seed import Replay, wd
from petitions import rules, services
from petitions.models import PaperBatch, Petition, PetitionState, Signature, ThresholdRule

DEMO_DOMAIN = "demo.tyndau.kz"

# Accounts of core.seed's demo the stories act as.
MODERATOR = "moderator@tyndau.kz"
AKIM_TURGEN = "akim.turgen@tyndau.kz"
AKIMAT_ENBEKSHIKAZAKH = "akimat.enbekshikazakh@tyndau.kz"
AKIMAT_REGION = "akimat.almaty-region@tyndau.kz"
AKIMAT_KARASAI = "akimat.karasai@tyndau.kz"
AKIMAT_TALGAR = "akimat.talgar@tyndau.kz"
CORE_ACCOUNTS = (MODERATOR, AKIM_TURGEN, AKIMAT_ENBEKSHIKAZAKH, AKIMAT_REGION, AKIMAT_KARASAI, AKIMAT_TALGAR)
#: An officer the demo adds (the paper sheets of the Raiymbek dams are entered at the district akimat).
AKIMAT_RAIYMBEK = f"akimat.raiymbek@{DEMO_DOMAIN}"

# Addressees (authority keys).
RURAL_TURGEN = "akim:194081000"
DISTRICT_ENBEKSHIKAZAKH = "akimat:194000000"
DISTRICT_KARASAI = "akimat:195200000"
DISTRICT_TALGAR = "akimat:196200000"
DISTRICT_RAIYMBEK = "akimat:195800000"
DISTRICT_KEGEN = "akimat:194400000"
CITY_KONAEV = "akimat:191000000"
CITY_ALMATY = "akimat:750000000"
REGION_TURKESTAN = "akimat:610000000"
GOVERNMENT = "government"

# Places (KATO codes, edition NK RK 11-2025). A tuple is a list of candidates: the first one present is used
# (the built-in territory set has fewer places than the full classifier).
P_TURGEN = ("194081100",)  # с.Тургень
P_KARASAI = ("195200000",)  # Karasai district (the petition is about its villages)
P_TALGAR = ("196220100",)  # г.Талгар
P_KYZYLKAIRAT = ("196233100",)  # с.Кызылкайрат, Talgar district
P_RAIYMBEK = ("195800000",)  # Raiymbek district (the dams are the district's)
P_KARKARA = ("194453100",)  # с.Каркара, Kegen district
P_KONAEV = ("191010000",)  # г.Қонаев
P_ALMATY = ("751410000", "750000000")  # Bostandyk district of Almaty, else the city
P_SHORNAK = ("615530100", "610000000")  # с.Чернак / Шорнақ, Sauran district, else Turkestan region

#: Approximate numbers of residents (rounded official estimates of 2024–2025, from memory: good enough for a
#: demo, not for anything else). KATO carries no population; percentage thresholds need one.
POPULATIONS: dict[str, int] = {
    "190000000": 1_520_000,  # Almaty region (centre Konaev)
    "191000000": 66_000,  # Konaev city administration
    "194000000": 310_000,  # Enbekshikazakh district
    "194081000": 9_000,  # Turgen rural district
    "194400000": 30_000,  # Kegen district
    "195200000": 320_000,  # Karasai district
    "195800000": 55_000,  # Raiymbek district
    "196200000": 200_000,  # Talgar district
    "610000000": 2_150_000,  # Turkestan region
    "750000000": 2_300_000,  # Almaty city
}

#: Per-authority thresholds of the demo, so that a local petition can reach its threshold with a few dozen
#: demo signers (the law's numbers are in the comments).
DEMO_THRESHOLDS: tuple[tuple[str, int, str], ...] = (
    (RURAL_TURGEN, 60, "5 % of ≈9,000 residents: 450"),
    (DISTRICT_ENBEKSHIKAZAKH, 120, "2,500 for a district of more than 50,000 residents"),
    (DISTRICT_TALGAR, 100, "2,500 for a district of more than 50,000 residents"),
)


def demo_threshold_note(law: str) -> str:
    return f"demo threshold (the law: {law})"


# -- places and populations -----------------------------------------------------------------------------


def first_place(candidates: Sequence[str]) -> str | None:
    """The first of the candidate KATO codes that is in the territory set."""
    return next((code for code in candidates if db.session.get(Territory, code) is not None), None)


def set_populations(figures: dict[str, int], source: str = "demo populations (approximate)") -> int:
    """Give the territories in ``figures`` their number of residents where they have none yet, through the
    territory importer (audited as an import; a population set by an admin or an import is kept). The
    classifier has no population, and thresholds in per cent of residents need one. Returns how many changed."""
    from core.territories.services import import_rows

    rows = [
        {
            "code": t.code,
            "parent_code": t.parent_code,
            "level": t.level,
            "name_kk": t.name_kk,
            "name_ru": t.name_ru,
            "population": figures[t.code],
        }
        for t in db.session.scalars(
            sa.select(Territory).where(Territory.code.in_(list(figures)), Territory.population.is_(None))
        ).unique()
    ]
    if not rows:
        return 0
    return import_rows(rows, actor=None, source=source).updated


def set_demo_thresholds() -> list[str]:
    """The demo's per-authority thresholds, where the authority exists and has no rule of its own yet."""
    done = []
    for key, fixed, law in DEMO_THRESHOLDS:
        authority = find_authority(key)
        if authority is None:
            continue
        if db.session.scalar(sa.select(ThresholdRule.id).where(ThresholdRule.authority_id == authority.id)):
            continue
        rules.set_rule("", fixed=fixed, authority=authority, note=demo_threshold_note(law))
        done.append(key)
    return done


# -- the demo citizens ----------------------------------------------------------------------------------


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KK_MEN = _names(
    "Ерлан Нұрлан Бауыржан Асхат Серік Қайрат Дәурен Ержан Марат Арман Бекзат Әлібек Ғалымжан Жандос Мейрам "
    "Талғат Нұржан Самат Ақылбек Дархан Ерболат Мұхтар Алмас Бақыт Айдос Еркебұлан Руслан Тимур Санжар Азамат"
)
KK_WOMEN = _names(
    "Айгүл Гүлнара Жанар Әсем Динара Мөлдір Аружан Сәуле Ботагөз Ләззат Айжан Гүлмира Назым Индира Салтанат "
    "Шынар Ақмарал Балжан Сандуғаш Данагүл Жұлдыз Перизат Камила Айнұр Меруерт Әйгерім Ажар Гүлжан Роза Зере"
)
KK_SURNAMES = _names(
    "Сейітов Жұмабаев Омаров Нұрланов Қасымов Тоқтаров Ахметов Сәрсенбаев Әбдіров Исаев Жақсылықов Мұхамедов "
    "Байжанов Ермеков Смағұлов Құрманов Төлеуов Әлиев Оспанов Рысқұлов Бекболатов Жанұзақов Мамыров Тұрғанбаев "
    "Сұлтанов Нұрмағамбетов Қалиев Досжанов Шәкенов Үсенов"
)
RU_MEN = _names("Сергей Андрей Дмитрий Алексей Виктор Николай Олег Павел Евгений Владимир Игорь Михаил Юрий Артём")
RU_WOMEN = _names("Ольга Наталья Елена Татьяна Ирина Светлана Людмила Анна Марина Юлия Валентина Оксана Галина Вера")
RU_SURNAMES = _names("Иванов Петров Кузнецов Романов Никитин Волков Морозов Соколов Лебедев Попов Фролов Орлов Беляев")
#: Surnames of Kazakhstan's Korean and Ukrainian families: the same for men and women.
UNCHANGED_SURNAMES = _names("Ким Пак Цой Ли Тен Шевченко Ткаченко Бондаренко")
UY_MEN = _names("Дильшат Ильхам Абдумалик Шухрат Ильяс")
UY_WOMEN = _names("Дильнур Гульнур Зульфия Патигуль Мадина")
UY_SURNAMES = _names("Мамутов Хамраев Юсупов Турсунов Абдуллаев Розахунов Ахметжанов")


def _feminine(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ин")) else surname


def demo_name(rng: random.Random, mix: str) -> tuple[str, bool, str]:
    """(display name, female, locale) of a resident: ``mix`` is "kk" (a Kazakh village), "mixed" (Almaty
    region's districts near the city, with Russian, Korean and Uyghur families) or "city" (Almaty)."""
    female = rng.random() < 0.55  # women sign petitions a little more often
    roll = rng.random()
    share_kk = {"kk": 0.94, "mixed": 0.66, "city": 0.58}[mix]
    share_uy = 0.1 if mix == "mixed" else 0.0
    if roll < share_kk:
        first = rng.choice(KK_WOMEN if female else KK_MEN)
        last = rng.choice(KK_SURNAMES)
        locale = "kk" if rng.random() < (0.85 if mix == "kk" else 0.65) else "ru"
    elif roll < share_kk + share_uy:
        first = rng.choice(UY_WOMEN if female else UY_MEN)
        last = rng.choice(UY_SURNAMES)
        locale = "ru"
    else:
        first = rng.choice(RU_WOMEN if female else RU_MEN)
        last = rng.choice(RU_SURNAMES + UNCHANGED_SURNAMES)
        locale = "ru"
    return f"{first} {_feminine(last) if female else last}", female, locale


def demo_iin(serial: int, born: date, female: bool) -> str:
    """A valid IIN for a person born on ``born``: the seventh digit says the century and sex, the serial
    (0000–9999) keeps the demo's IINs apart, the last digit is the control digit (when the algorithm gives
    none for these digits, the next day of birth is used)."""
    while True:
        century = (4 if female else 3) if born.year < 2000 else (6 if female else 5)
        first = f"{born:%y%m%d}{century}{serial % 10_000:04d}"
        digit = control_digit(first)
        if digit is not None:
            return first + str(digit)
        born += timedelta(days=1)


def _birthday(rng: random.Random) -> date:
    return date(rng.randint(1955, 2006), 1, 1) + timedelta(days=rng.randrange(365))


@dataclass(frozen=True)
class Pool:
    """Demo residents of one area: how many, where they live (the present candidates, in turn), how their
    names sound, and the named ones first (the authors of the petitions)."""

    key: str
    homes: tuple[str, ...]
    size: int
    mix: str
    named: tuple[tuple[str, str, bool], ...] = ()  # (display name, locale, female)


POOLS: tuple[Pool, ...] = (
    Pool(
        "turgen",
        ("194081100", "194081200", "194081104"),  # с.Тургень, с.Таутургень, Форелевое хозяйство
        64,
        "mixed",
        named=(("Ақмарал Жұмабаева", "kk", True), ("Андрей Ткаченко", "ru", False)),
    ),
    Pool(
        "enbekshikazakh",
        ("194020100", "194083100", "194067100", "194083200"),  # г.Есик, с.Шелек, с.Байтерек, с.Майское
        60,
        "mixed",
    ),
    Pool(
        "talgar",
        ("196220100", "196233100", "196235100", "196239100", "196243100", "196249100"),  # г.Талгар and villages
        108,
        "mixed",
        named=(("Елена Ким", "ru", True), ("Гүлжан Тоқтарова", "kk", True)),
    ),
    Pool(
        "karasai",
        ("195231100", "195220100", "195231300", "195231400", "195234100", "195235100", "195233200"),
        70,
        "mixed",
        named=(("Мұхтар Әбдіров", "kk", False), ("Сәуле Қалиева", "kk", True)),
    ),
    Pool(
        "konaev",
        ("191010000", "191037100"),
        25,
        "kk",
        named=(("Ерболат Сұлтанов", "kk", False), ("Динара Исаева", "ru", True)),
    ),
    Pool(
        "raiymbek",
        ("195830100", "195839100", "195845100", "195847100", "195859100"),  # с.Нарынкол, Жамбыл, Кайнар …
        42,
        "kk",
        named=(("Нұрлан Жанұзақов", "ru", False),),
    ),
    Pool("kegen", ("194453100", "194430100"), 3, "kk", named=(("Бақыт Мамыров", "kk", False),)),
    Pool(
        "almaty",
        ("751410000", "751110000", "751310000", "751710000", "750000000"),
        14,
        "city",
        named=(("Марина Соколова", "ru", True), ("Ирина Цой", "ru", True)),
    ),
    Pool("turkestan", ("615530100", "610000000"), 5, "kk", named=(("Ақылбек Үсенов", "kk", False),)),
)


@dataclass(frozen=True)
class Citizen:
    user: User
    iin: str  # kept in memory only while seeding (the paper sheets repeat a few people's IINs)
    pool: str


def create_citizens(password_hash: str) -> dict[str, list[Citizen]]:
    """The demo residents of every pool whose homes exist, verified, with valid IINs (set through the account
    service, which keeps only the keyed hash) and the demo password."""
    from core.accounts.services import set_iin
    from core.db import utcnow

    rng = random.Random(2026)  # noqa: S311 - reproducible demo names, not security
    citizens: dict[str, list[Citizen]] = {}
    number = 0
    for pool in POOLS:
        homes = [code for code in pool.homes if db.session.get(Territory, code) is not None]
        if not homes:
            continue
        found: list[Citizen] = []
        seen: set[str] = set()
        for n in range(pool.size):
            number += 1
            if n < len(pool.named):
                name, locale, female = pool.named[n]
            else:
                name, female, locale = demo_name(rng, pool.mix)
                while name in seen:
                    name, female, locale = demo_name(rng, pool.mix)
            seen.add(name)
            user = User(
                email=f"signer{number:03d}@{DEMO_DOMAIN}",
                password_hash=password_hash,
                display_name=name,
                locale=locale,
                home_territory_code=homes[n % len(homes)],
                email_verified_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            iin = demo_iin(1000 + number, _birthday(rng), female)
            set_iin(user, iin)
            found.append(Citizen(user, iin, pool.key))
        citizens[pool.key] = found
    return citizens


@dataclass(frozen=True)
class DemoOfficer:
    email: str
    display_name: str
    locale: str
    authority_key: str


OFFICERS = (DemoOfficer(AKIMAT_RAIYMBEK, "Ерлан Тұрсынов", "kk", DISTRICT_RAIYMBEK),)


def create_officers(password_hash: str) -> dict[str, User]:
    """Officers of the authorities the demo needs and core.seed has none for (where the authority exists)."""
    from core.accounts.models import Role
    from core.accounts.services import grant_role
    from core.db import utcnow

    found = {}
    for officer in OFFICERS:
        authority = find_authority(officer.authority_key)
        if authority is None:
            continue
        user = User(
            email=officer.email,
            password_hash=password_hash,
            display_name=officer.display_name,
            locale=officer.locale,
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        grant_role(user, Role.OFFICER, authority)
        found[officer.email] = user
    return found


# -- the replay -----------------------------------------------------------------------------------------


def waves(first: date, last: date, count: int) -> list[tuple[date, int]]:
    """``count`` signatures spread over the days from ``first`` to ``last``: most at the start (the author
    shares the link), then fewer, with a second, smaller wave a third of the way in (the local news)."""
    days = max(1, (last - first).days + 1)
    weights = [1 / (k + 1.5) + (0.3 if days > 3 and k == days // 3 else 0) for k in range(days)]
    total = sum(weights)
    out: list[tuple[date, int]] = []
    done = 0
    running = 0.0
    for k, weight in enumerate(weights):
        running += weight
        upto = count if k == days - 1 else round(count * running / total)
        if upto > done:
            out.append((first + timedelta(days=k), upto - done))
            done = upto
    return out


#: Added to every moment of this replay (see ``PetitionReplay.now``).
OWN_MOMENTS = timedelta(microseconds=417)


class PetitionReplay(Replay):
    """The loop's replay, with the petitions sweep beside the loop's and helpers for petition scripts."""

    def __init__(self, today: date, citizens: dict[str, list[Citizen]], officers: dict[str, User]) -> None:
        super().__init__(today)
        self.citizens = citizens
        self.users.update(officers)
        self.petitions: dict[str, Petition] = {}
        self.rng = random.Random(7)  # noqa: S311 - reproducible demo, not security
        self.paper_serial = 6000
        self.swept_on: date | None = None
        self.quiet_until: date | None = None  # the loop's sweep has nothing to do before this day
        self.touched = False  # a story acted on a case since the loop's last sweep

    def now(self) -> datetime:
        """The replayed moment, a fraction of a millisecond off the whole seconds of the loop's own replay,
        which ran before on the same days at the same hours: the loop's sweep finds the rows it has just
        changed by its run's moment, and must not take the loop demo's rows for its own."""
        return super().now() + OWN_MOMENTS

    # the petitions sweep runs beside the loop's, on the same days
    def _sweep(self, day: date) -> None:
        """The petitions sweep and the loop's, as their hourly jobs would have run them. The replay calls
        this after every step, and most steps here are signatures, so each runs only when it can change
        something: the petitions sweep once a day, the loop's on the days its ``_next_change`` names and after
        a story acted on a case."""
        if day != self.swept_on and services.sweep(on=day).reached:
            self.touched = True
        if self.touched or self.quiet_until is None or day >= self.quiet_until:
            super()._sweep(day)
            self.quiet_until = super()._next_change() or date.max
            self.touched = False
        self.swept_on = day

    def _next_change(self) -> date | None:
        found = [d for d in (super()._next_change(),) if d is not None]
        closes = db.session.scalar(
            sa.select(sa.func.min(Petition.closes_on)).where(Petition.state == PetitionState.COLLECTING)
        )
        if closes is not None and closes + timedelta(days=1) > self.day:
            found.append(closes + timedelta(days=1))
        return min(found) if found else None

    # people
    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    def people(self, *pools: str) -> list[Citizen]:
        return [c for pool in pools for c in self.citizens.get(pool, [])]

    def everyone(self) -> list[Citizen]:
        """All demo residents in a reproducible shuffle (the signers of petitions to the Government)."""
        found = self.people(*(p.key for p in POOLS))
        self.rng.shuffle(found)
        return found

    def at(self, hour: int, minute: int = 0) -> None:
        """Move the clock on to a time of the current day (or a little after the last step, if that was later)."""
        self._set_clock(self.current_day(), hour, minute)

    def later(self) -> None:
        """A little later the same day (the replay's clock moves on by about half an hour)."""
        self.at(0)

    # filing and moderation
    def draft(self, key: str, author: Citizen, authority_key: str, place: str, topic: str, title: str, body: str):
        authority = find_authority(authority_key)
        petition = services.create_draft(author.user, place, authority, topic, title, body)
        self.petitions[key] = petition
        return petition

    def submit(self, petition: Petition) -> None:
        services.submit(petition, petition.author, acknowledged=True)

    def publish(self, petition: Petition) -> None:
        moderator = self.user(MODERATOR)
        services.take(petition, moderator)
        self.later()
        services.publish(petition, moderator)

    # signing
    def sign(self, petition: Petition, people: Sequence[Citizen]) -> None:
        """People sign one after the other through the day, each followed by ``after_signing`` (listing,
        and the hand-over the moment the threshold is reached; nobody can sign after that)."""
        for i, citizen in enumerate(people):
            if petition.state != PetitionState.COLLECTING:
                return
            minutes = 8 * 60 + (i * 14 * 60) // max(1, len(people)) + self.rng.randrange(40)
            self.at(min(minutes // 60, 22), minutes % 60)
            services.sign(petition, citizen.user)
            if services.after_signing(petition.id).reached is not None:
                self.touched = True

    def collect(self, petition: Petition, people: Sequence[Citizen], first: date, last: date) -> Iterator[date]:
        """Signers sign in waves over the days from ``first`` to ``last`` (never after yesterday), until the
        list ends or the petition reaches its threshold."""
        queue = list(people)
        last = min(last, self.yesterday)
        if first > last or not queue:
            return
        for day, count in waves(first, last, len(queue)):
            yield day
            if petition.state != PetitionState.COLLECTING:
                return
            batch, queue = queue[:count], queue[count:]
            self.sign(petition, batch)
            if petition.state != PetitionState.COLLECTING:
                return

    def paper(self, petition: Petition, officer: str, rows: list[services.PaperRow], note: str) -> None:
        services.add_paper_batch(petition, self.user(officer), rows, note)
        if services.after_signing(petition.id).reached is not None:
            self.touched = True

    def paper_rows(self, pool: str, count: int, mix: str) -> list[services.PaperRow]:
        """Paper signatures of residents without an account: a name, a valid IIN and the settlement as an
        officer types it (its Russian name, sometimes its KATO code)."""
        homes = [c for c in next(p for p in POOLS if p.key == pool).homes if db.session.get(Territory, c)]
        rows = []
        for n in range(count):
            name, female, _locale = demo_name(self.rng, mix)
            self.paper_serial += 1
            home = db.session.get(Territory, homes[n % len(homes)])
            settlement = home.code if n % 5 == 4 else home.name_ru
            rows.append(services.PaperRow(demo_iin(self.paper_serial, _birthday(self.rng), female), name, settlement))
        return rows

    # the loop's side
    def rate(self, case: Case, citizen: Citizen, satisfied: bool, comment: str = "") -> None:
        loop.rate(case, citizen.user, satisfied, comment, on=self.day)
        self.touched = True

    def take(self, case: Case, officer: str) -> None:
        super().take(case, officer)
        self.touched = True

    def answer(self, case: Case, officer: str, decision: Decision, text: str, measures=()) -> None:
        super().answer(case, officer, decision, text, measures)
        self.touched = True

    def reached_case(self, petition: Petition) -> Case:
        if petition.state != PetitionState.REACHED or petition.case is None:
            raise RuntimeError(f"demo petition {petition.id} ({petition.title}) has not reached its threshold")
        return petition.case


#: A demo petition script yields the date it next acts on (see ``feedback.seed.Script``).
Script = Callable[[PetitionReplay], Iterator[date]]


def _place(candidates: Sequence[str]) -> str:
    code = first_place(candidates)
    if code is None:
        raise RuntimeError(f"none of the places {candidates} exists")
    return code


# -- the stories ----------------------------------------------------------------------------------------


def turgen_playgrounds(r: PetitionReplay) -> Iterator[date]:
    """Reached and answered: playgrounds in Turgen rural district (a demo threshold of 60 signatures),
    supported with measures, the signers satisfied: resolved."""
    author, *others = r.people("turgen")
    yield r.ago(68)
    petition = r.draft(
        "turgen_playgrounds",
        author,
        RURAL_TURGEN,
        _place(P_TURGEN),
        "landscaping_playgrounds",
        "Түрген ауылдық округінің жаңа көшелеріне балалар алаңдарын орнату",
        "Түрген ауылының жоғарғы жағында және Таутүргенде соңғы бес жылда жүзден астам жаңа үй салынды, бірақ "
        "бірде-бір балалар алаңы жоқ. Балалар көшеде және тас жолдың жиегінде ойнайды, ал жазда туристердің "
        "көліктері сол жолмен жылдам өтеді.\n\n"
        "Ауылдық округ әкімінен сұраймыз:\n\n"
        "- Түргендегі жаңа көшелердің бойындағы бос алаңға және Таутүргендегі мектептің жанына балалар "
        "алаңдарын орнату;\n"
        "- алаңдарға жарық пен бейнебақылау камераларын қою;\n"
        "- алаңдардың орнын тұрғындармен бірге жиналыста талқылау.",
    )
    r.submit(petition)
    yield r.ago(65)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others, r.day + timedelta(days=1), r.day + timedelta(days=21))
    case = r.reached_case(petition)
    yield wd(case.received_on, 1)
    r.take(case, AKIM_TURGEN)
    yield wd(case.received_on, 7)
    r.answer(
        case,
        AKIM_TURGEN,
        Decision.SUPPORTED,
        "Петиция қолдау тапты. Жергілікті өзін-өзі басқару бюджеті есебінен Түрген ауылындағы жаңа көшелердің "
        "бойында және Таутүргендегі мектептің жанында екі балалар алаңы орнатылады. Алаңдардың орны "
        "тұрғындар жиналысында келісілді, жарық пен бейнебақылау камералары алаңдармен бірге қойылады.",
        [
            (
                "Түргендегі жаңа көшелердің бойындағы алаңға балалар алаңын орнату",
                "Түрген ауылдық округі әкімінің аппараты",
                r.day + timedelta(days=45),
            ),
            (
                "Таутүргендегі мектептің жанына балалар алаңын орнату",
                "Түрген ауылдық округі әкімінің аппараты",
                r.day + timedelta(days=60),
            ),
            (
                "Екі алаңға көше жарығы мен бейнебақылау камераларын орнату",
                "Түрген ауылдық округі әкімінің аппараты",
                r.day + timedelta(days=75),
            ),
        ],
    )
    signers = [c for c in r.people("turgen") if loop.is_participant(case, c.user)]
    yield wd(r.day, 1)
    r.rate(case, author, True, "Рахмет! Балалар алаңды күтіп жүр.")
    for citizen, comment in zip(signers[1:7], ("Спасибо, наконец-то!", "", "Рахмет.", "", "", ""), strict=False):
        r.rate(case, citizen, True, comment)
    yield wd(r.day, 2)
    r.rate(case, signers[7], True, "Алаң салынғанша қадағалаймыз.")
    r.rate(case, signers[8], True)
    r.rate(case, signers[9], False, "Екі алаң аз: жоғарғы көшелерге де керек.")


def talgar_cp_centre(r: PetitionReplay) -> Iterator[date]:
    """Reached and escalated: a rehabilitation centre for children with cerebral palsy in Talgar (a demo
    threshold of 100); the district akimat answered "not supported", the signers were dissatisfied, and the
    sweep carried it up to the region's akimat, which has taken it up."""
    author, duplicate_author, *others = r.people("talgar")
    yield r.ago(56)
    petition = r.draft(
        "talgar_cp_centre",
        author,
        DISTRICT_TALGAR,
        _place(P_TALGAR),
        "social_protection",
        "Открыть в Талгаре государственный реабилитационный центр для детей с ДЦП",
        "В Талгарском районе на учёте больше 60 детей с детским церебральным параличом, а ближайшие "
        "реабилитационные центры — в Алматы. Курса реабилитации там ждут по несколько месяцев, каждая поездка "
        "занимает у ребёнка и родителей целый день, и многие семьи из сёл не могут себе её позволить.\n\n"
        "Мы, родители, просим акимат Талгарского района:\n\n"
        "- открыть в Талгаре государственный дневной реабилитационный центр для детей с ДЦП с кабинетами "
        "ЛФК, массажа и логопеда;\n"
        "- до открытия центра организовать бесплатный подвоз детей из сёл района на реабилитацию в Алматы.",
    )
    r.submit(petition)
    yield r.ago(53)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others, r.day + timedelta(days=1), r.day + timedelta(days=26))
    case = r.reached_case(petition)
    yield wd(case.received_on, 1)
    r.take(case, AKIMAT_TALGAR)
    yield wd(case.received_on, 12)
    r.answer(
        case,
        AKIMAT_TALGAR,
        Decision.NOT_SUPPORTED,
        "Создание реабилитационных центров и финансирование медицинской реабилитации детей относятся к "
        "компетенции управления здравоохранения области и в бюджете района на 2026 год не предусмотрены. "
        "Дети с ДЦП получают реабилитацию в рамках гарантированного объёма бесплатной медицинской помощи по "
        "направлению районной поликлиники. Петиция направлена в управление здравоохранения Алматинской "
        "области для сведения.",
    )
    signers = [c for c in r.people("talgar") if loop.is_participant(case, c.user)]
    yield wd(r.day, 1)
    r.rate(case, author, False, "Нам ответили, что это не их компетенция. Но дети живут здесь, а не в области.")
    unhappy = (
        "Подвоз детей в Алматы — точно вопрос района, на него не ответили.",
        "Жолдама бойынша кезек жарты жылға созылады.",
        "",
        "Жауап жоқ деген сөз.",
        "Очередь по направлению поликлиники — полгода.",
        "",
        "Наразымын.",
        "",
    )
    for citizen, comment in zip(signers[1:9], unhappy, strict=False):
        r.rate(case, citizen, False, comment)
    yield wd(r.day, 2)
    r.rate(case, signers[9], True, "Хотя бы переслали в область.")
    for citizen in signers[10:14]:
        r.rate(case, citizen, False)
    # The rating window closes with a dissatisfied majority: the sweep of the next day carries it up.
    yield case.rating_closes_on + timedelta(days=1)
    upper = r.above(case)
    yield wd(upper.received_on, 1)
    r.take(upper, AKIMAT_REGION)


def talgar_duplicate(r: PetitionReplay) -> Iterator[date]:
    """Rejected with a public reason: a second petition for the same centre while the first is collecting;
    its author then signs the first one."""
    author = r.people("talgar")[1]
    yield r.ago(49)
    petition = r.draft(
        "talgar_duplicate",
        author,
        DISTRICT_TALGAR,
        _place(P_KYZYLKAIRAT),
        "social_protection",
        "Талғар ауданында церебральды сал ауруы бар балаларға оңалту орталығын ашу",
        "Талғар ауданында церебральды сал ауруы бар балалар көп, бірақ ауданда бірде-бір оңалту орталығы жоқ. "
        "Емге Алматыға барамыз, кезек бірнеше айға созылады. Аудан орталығында мемлекеттік оңалту орталығын "
        "ашуды сұраймыз.",
    )
    r.submit(petition)
    yield r.ago(47)
    original = r.petitions.get("talgar_cp_centre")
    services.take(petition, r.user(MODERATOR))
    r.later()
    note = (
        "Осы мәселе бойынша «Открыть в Талгаре государственный реабилитационный центр для детей с ДЦП» "
        "петициясы қазір қол жинап жатыр. Оған қол қойыңыз: қолдар бір петицияға жиналса, шекті санға "
        "тезірек жетеді."
        if original is not None
        else "Осы мәселе бойынша петиция қазір қол жинап жатыр: оған қол қойыңыз."
    )
    services.reject(petition, r.user(MODERATOR), "duplicate", note)
    yield r.ago(46)
    if original is not None and original.state == PetitionState.COLLECTING:
        r.sign(original, [author])


def turgen_batan_road(r: PetitionReplay) -> Iterator[date]:
    """Reached and awaiting the answer: the road up the Turgen gorge (a demo threshold of 120), taken up by
    the district akimat."""
    author = r.people("turgen")[1]
    others = [c for c in r.people("enbekshikazakh", "turgen") if c != author]
    r.rng.shuffle(others)
    yield r.ago(47)
    petition = r.draft(
        "turgen_batan_road",
        author,
        DISTRICT_ENBEKSHIKAZAKH,
        _place(P_TURGEN),
        "roads_transport",
        "Отремонтировать дорогу Тургень – Батан в Тургеньском ущелье",
        "Дорога от села Тургень вверх по ущелью через Таутургень до урочища Батан разбита: ямы, размытые "
        "весенними селями обочины, на двух участках асфальта нет совсем. По ней каждый день ездят жители "
        "Таутургеня, школьный автобус и скорая помощь, а летом — тысячи туристов к водопадам и на плато Ассы.\n\n"
        "Просим акимат Енбекшиказахского района:\n\n"
        "- включить дорогу Тургень – Батан в план среднего ремонта на 2027 год;\n"
        "- до ремонта засыпать ямы и восстановить обочины на участке у Таутургеня;\n"
        "- установить знаки ограничения скорости и «лежачих полицейских» у школы в Таутургене.",
    )
    r.submit(petition)
    yield r.ago(44)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others, r.day + timedelta(days=1), r.ago(6))
    case = r.reached_case(petition)
    yield wd(case.received_on, 1)
    r.take(case, AKIMAT_ENBEKSHIKAZAKH)


def karasai_water(r: PetitionReplay) -> Iterator[date]:
    """Collecting, listed, far from its threshold (2,500 for a district akimat): drinking water in the
    villages of Karasai district; sheets signed at the Aitei akim's office entered by the district akimat."""
    author, *others = r.people("karasai")
    yield r.ago(28)
    petition = r.draft(
        "karasai_water",
        author,
        DISTRICT_KARASAI,
        _place(P_KARASAI),
        "water_supply",
        "Қарасай ауданының ауылдарын таза ауыз сумен қамтамасыз ету",
        "Әйтей, Еңбекші, Құмарал ауылдарында және Жамбыл ауылдық округінде жазда су құбырынан су күніне бір-екі "
        "сағат қана келеді, ал кейбір көшелерге су мүлде жетпейді. Құбырлар 1970-жылдары салынған, ауылдардың "
        "халқы содан бері бірнеше есе өсті. Тұрғындар суды цистернадан сатып алады немесе арықтан тасиды.\n\n"
        "Аудан әкімдігінен сұраймыз:\n\n"
        "- 16 ауылды сумен жабдықтау жобасының кестесін және оған кіретін ауылдардың тізімін жариялау;\n"
        "- құрылыс басталғанға дейін су жетпейтін көшелерге ауыз суды тегін тасымалдауды ұйымдастыру;\n"
        "- ауыз судың сапасын тексеріп, нәтижесін жариялау.",
    )
    r.submit(petition)
    yield r.ago(26)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others[:40], r.day + timedelta(days=1), r.ago(9))
    yield r.ago(8)
    r.paper(
        petition,
        AKIMAT_KARASAI,
        r.paper_rows("karasai", 18, "mixed"),
        "Әйтей ауылдық округі әкімінің аппаратында қағаз парақтарға жиналған қолдар",
    )
    yield from r.collect(petition, others[40:], r.day + timedelta(days=1), r.yesterday)


def special_children_centres(r: PetitionReplay) -> Iterator[date]:
    """Collecting, national: rehabilitation centres for children with special needs in every regional
    centre, to the Government (50,000 signatures: it shows its progress)."""
    author = r.people("konaev")[1]
    others = [c for c in r.everyone() if c != author][:240]
    yield r.ago(48)
    petition = r.draft(
        "special_children_centres",
        author,
        GOVERNMENT,
        author.user.home_territory_code,
        "social_protection",
        "Открыть реабилитационные центры для детей с особыми потребностями в каждом областном центре",
        "У тысяч детей с ДЦП, аутизмом, нарушениями слуха и зрения нет регулярной реабилитации рядом с домом: "
        "государственные центры есть лишь в нескольких крупных городах, очереди в них — на месяцы, а семьи из "
        "районов тратят на дорогу больше, чем на лечение. Глава государства на заседании Национального "
        "курултая говорил, что у каждого ребёнка с особыми потребностями должен быть доступ к реабилитации и "
        "образованию.\n\n"
        "Просим Правительство:\n\n"
        "- открыть государственный реабилитационный центр для детей с особыми потребностями в каждом "
        "областном центре;\n"
        "- утвердить единый стандарт таких центров: медицинская, психолого-педагогическая и социальная "
        "реабилитация в одном месте;\n"
        "- организовать выездные бригады реабилитации для детей из сельских районов.",
    )
    r.submit(petition)
    yield r.ago(45)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others, r.day + timedelta(days=1), r.yesterday)


def kurban_ait_livestock(r: PetitionReplay) -> Iterator[date]:
    """Not reached: the veterinary rules for selling livestock at Kurban Ait, to the Government; the six
    months ended far below 50,000 and the petitions sweep closed it."""
    author = r.people("karasai")[1]
    rural = [c for c in r.people("raiymbek", "kegen", "turgen", "karasai", "talgar") if c != author]
    r.rng.shuffle(rural)
    yield r.ago(168)
    petition = r.draft(
        "kurban_ait_livestock",
        author,
        GOVERNMENT,
        author.user.home_territory_code,
        "agriculture_pastures",
        "Құрбан айт кезінде мал сатуға қойылатын ветеринариялық талаптарды жеңілдету",
        "Құрбан айт қарсаңында ауыл тұрғындары жәрмеңкеде бір-екі қой сатып, отбасына қосымша табыс табады. "
        "Бірақ әр малға жеке ветеринариялық анықтама алу керек, ал ауылдық ветстанцияда оны алу үшін бір апта "
        "кезек күтеміз. Сондықтан көп адам малды құжатсыз, жол жиегінде сатуға мәжбүр.\n\n"
        "Үкіметтен сұраймыз:\n\n"
        "- айт алдындағы жәрмеңкелерде жеке қосалқы шаруашылықтар үшін бір топтық ветеринариялық анықтама "
        "енгізу;\n"
        "- «Төрт түлік» есепке алу жүйесінде анықтаманы онлайн алу мүмкіндігін ашу;\n"
        "- айт алдында ветстанциялардың демалыс күндері де жұмыс істеуін ұйымдастыру.",
    )
    r.submit(petition)
    yield r.ago(165)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, rural[:77], r.day + timedelta(days=1), r.day + timedelta(days=40))
    # The sweep closes it the day after its last day of collection (PETITIONS_COLLECTION_MONTHS).


def raiymbek_dams(r: PetitionReplay) -> Iterator[date]:
    """Collecting, with paper signatures: the «Кабанды» and «Шибут» dams; sheets from the villages entered
    by an officer of the district akimat, two people already signed online and two rows not valid."""
    author, *others = r.people("raiymbek")
    yield r.ago(33)
    petition = r.draft(
        "raiymbek_dams",
        author,
        DISTRICT_RAIYMBEK,
        _place(P_RAIYMBEK),
        "water_supply",
        "Проверить качество строительства плотин «Кабанды» и «Шибут» и назвать сроки их завершения",
        "Плотины «Кабанды» и «Шибут» в Райымбекском районе строят уже третий год. Жители видят, что бетон на "
        "откосах крошится, а работы отстают от графика. От этих водохранилищ зависит полив сенокосов и огородов "
        "в сёлах долины, а в паводок — безопасность людей ниже по течению.\n\n"
        "Просим акимат Райымбекского района:\n\n"
        "- провести проверку качества работ на обеих плотинах с участием независимых экспертов и жителей;\n"
        "- опубликовать сроки, стоимость работ и названия подрядчиков;\n"
        "- раз в квартал отчитываться перед жителями о ходе строительства.",
    )
    r.submit(petition)
    yield r.ago(31)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others[:30], r.day + timedelta(days=1), r.ago(7))
    yield r.ago(6)
    rows = r.paper_rows("raiymbek", 60, "kk")
    # Two people on the sheets had already signed online; one IIN was copied with a wrong last digit; one
    # signer lives outside the district: the batch takes the rest and reports these four by row number.
    already = [c for c in others[:30] if services.my_signature(petition, c.user) is not None][:2]
    rows[10:10] = [services.PaperRow(c.iin, c.user.display_name, c.user.home_territory.name_ru) for c in already]
    typo = rows[20]
    rows[20] = services.PaperRow(typo.iin[:11] + str((int(typo.iin[11]) + 1) % 10), typo.name, typo.settlement)
    rows[33] = services.PaperRow(rows[33].iin, rows[33].name, "с.Кеген")
    r.paper(petition, AKIMAT_RAIYMBEK, rows, "Подписные листы из сёл Нарынкол, Жамбыл и Кайнар, переданные автором")
    yield from r.collect(petition, others[30:], r.day + timedelta(days=1), r.yesterday)


def konaev_shore(r: PetitionReplay) -> Iterator[date]:
    """Collecting, unlisted: below the initial supporters, reachable only by its link."""
    author, *others = r.people("konaev")
    yield r.ago(9)
    petition = r.draft(
        "konaev_shore",
        author,
        CITY_KONAEV,
        _place(P_KONAEV),
        "ecology_waste",
        "Қапшағай су қоймасының Қонаев маңындағы жағалауын қоқыстан тазарту",
        "Жазғы маусымнан кейін Қонаев қаласының маңындағы жағажайлар мен жағалау пластик бөтелкелерге және "
        "қалдықтарға толып қалды. Ресми жағажайлардан тыс жерлерде қоқыс жәшіктері жоқ, қоқыс шығарылмайды.\n\n"
        "Қала әкімдігінен сұраймыз: жағалауды тазалауға сенбілік ұйымдастыру, жағалау бойына қоқыс жәшіктерін "
        "қою және маусым кезінде қоқысты тұрақты шығаруды бекіту.",
    )
    r.submit(petition)
    yield r.ago(7)
    r.publish(petition)
    r.sign(petition, [author])
    yield from r.collect(petition, others[:21], r.day + timedelta(days=1), r.yesterday)


def almaty_waste(r: PetitionReplay) -> Iterator[date]:
    """In moderation, due in a few working days: separate waste collection in Almaty."""
    author = r.people("almaty")[0]
    yield r.ago(18)
    petition = r.draft(
        "almaty_waste",
        author,
        CITY_ALMATY,
        _place(P_ALMATY),
        "ecology_waste",
        "Ввести в Алматы раздельный сбор отходов во всех дворах",
        "Сейчас в большинстве дворов Алматы стоят только общие контейнеры, и почти весь мусор уходит на полигон. "
        "Пункты приёма вторсырья есть, но жители о них не знают, а контейнеры для пластика стоят лишь в "
        "некоторых микрорайонах.\n\n"
        "Предлагаем акимату города:\n\n"
        "- установить во всех дворах контейнеры для раздельного сбора: пластик и бумага отдельно от смешанных "
        "отходов;\n"
        "- поручить вывоз вторсырья и остальных отходов разным компаниям и опубликовать графики вывоза;\n"
        "- вместе с КСК и ОСИ объяснить жителям, как сортировать отходы.",
    )
    yield r.ago(17)
    r.submit(petition)


def turkestan_lights(r: PetitionReplay) -> Iterator[date]:
    """In moderation past its due date: solar street lights in the villages of Turkestan region (taken by a
    moderator once and released)."""
    author = r.people("turkestan")[0]
    yield r.ago(25)
    petition = r.draft(
        "turkestan_lights",
        author,
        REGION_TURKESTAN,
        _place(P_SHORNAK),
        "housing_utilities",
        "Түркістан облысының ауылдарындағы көшелерге күн батареясымен жұмыс істейтін шамдар орнату",
        "Сауран ауданындағы Шорнақ ауылында және облыстың көп ауылдарында орталық көшелерден басқа көшелерде "
        "түнде жарық жоқ. Балалар қысқы кеште мектептен қараңғыда қайтады, ал электр желісін тарту қымбатқа "
        "түседі. Көрші ауылдарда күн батареясымен жұмыс істейтін шамдар жақсы нәтиже берді.\n\n"
        "Облыс әкімдігінен сұраймыз:\n\n"
        "- ауылдардағы көшелерге күн батареясымен жұмыс істейтін шамдар орнатуды облыстың бағдарламасына енгізу;\n"
        "- бірінші кезекте мектепке, медпунктке және аялдамаларға апаратын көшелерді жарықтандыру.",
    )
    yield r.ago(24)
    r.submit(petition)
    yield r.ago(22)
    services.take(petition, r.user(MODERATOR))
    r.later()
    services.release(petition, r.user(MODERATOR))


def stray_animals(r: PetitionReplay) -> Iterator[date]:
    """Returned for changes: the moderator asks for a clear demand and no names of third persons."""
    author = r.people("almaty")[1]
    yield r.ago(15)
    petition = r.draft(
        "stray_animals",
        author,
        GOVERNMENT,
        author.user.home_territory_code,
        "animals",
        "Принять государственную программу гуманного обращения с бездомными животными",
        "В сёлах и городах по-прежнему отлавливают и усыпляют бездомных собак, хотя закон «Об ответственном "
        "обращении с животными» говорит о приютах и стерилизации. В нашем районе частная клиника «Добрый доктор» "
        "и ветеринар Петров бесплатно стерилизуют собак, но на всех их не хватает.\n\n"
        "Надо что-то делать на уровне государства, а не только волонтёрам.",
    )
    yield r.ago(14)
    r.submit(petition)
    yield r.ago(12)
    moderator = r.user(MODERATOR)
    services.take(petition, moderator)
    r.later()
    services.return_to_author(
        petition,
        moderator,
        "Уточните требование: что именно должно сделать Правительство — утвердить программу «отлов – "
        "стерилизация – вакцинация – возврат», внести поправки в закон, выделить средства на приюты в каждой "
        "области? Уберите из текста название частной клиники и фамилию ветеринара: это сведения о третьих "
        "лицах. После правки отправьте петицию на модерацию снова.",
    )


def kegen_pastures(r: PetitionReplay) -> Iterator[date]:
    """A draft only its author sees: pastures of the Karkara valley."""
    author = r.people("kegen")[0]
    yield r.ago(2)
    r.draft(
        "kegen_pastures",
        author,
        DISTRICT_KEGEN,
        _place(P_KARKARA),
        "agriculture_pastures",
        "Қарқара жайлауындағы жайылымдарды әділ бөлу",
        "Кеген ауданының Қарқара жайлауында соңғы жылдары жайылымның көп бөлігін бірнеше шаруа қожалығы ұзақ "
        "мерзімге жалға алып, қоршап тастады. Жеке малы бар ауыл тұрғындарына жайылым жетпейді, мал айдайтын "
        "жолдар жабылды.\n\nАудан әкімдігінен жайылымдарды пайдалану жоспарын жариялауды сұраймыз.",
    )


@dataclass(frozen=True)
class PetitionStory:
    script: Script
    stage: str  # what the story shows (the module docstring's table)
    places: tuple[tuple[str, ...], ...]  # each group needs one present place
    authorities: tuple[str, ...]
    pools: tuple[str, ...]  # pools of demo residents it needs
    officers: tuple[str, ...] = ()


STORIES: tuple[PetitionStory, ...] = (
    PetitionStory(turgen_playgrounds, "reached_answered", (P_TURGEN,), (RURAL_TURGEN,), ("turgen",), (AKIM_TURGEN,)),
    PetitionStory(
        talgar_cp_centre, "reached_escalated", (P_TALGAR,), (DISTRICT_TALGAR,), ("talgar",), (AKIMAT_TALGAR,)
    ),
    PetitionStory(talgar_duplicate, "rejected", (P_KYZYLKAIRAT,), (DISTRICT_TALGAR,), ("talgar",)),
    PetitionStory(
        turgen_batan_road,
        "reached_awaiting",
        (P_TURGEN,),
        (DISTRICT_ENBEKSHIKAZAKH,),
        ("turgen", "enbekshikazakh"),
        (AKIMAT_ENBEKSHIKAZAKH,),
    ),
    PetitionStory(
        karasai_water, "collecting_local", (P_KARASAI,), (DISTRICT_KARASAI,), ("karasai",), (AKIMAT_KARASAI,)
    ),
    PetitionStory(special_children_centres, "collecting_national", (), (GOVERNMENT,), ("konaev",)),
    PetitionStory(kurban_ait_livestock, "not_reached", (), (GOVERNMENT,), ("karasai",)),
    PetitionStory(raiymbek_dams, "paper", (P_RAIYMBEK,), (DISTRICT_RAIYMBEK,), ("raiymbek",), (AKIMAT_RAIYMBEK,)),
    PetitionStory(konaev_shore, "collecting_unlisted", (P_KONAEV,), (CITY_KONAEV,), ("konaev",)),
    PetitionStory(almaty_waste, "pending_near_due", (P_ALMATY,), (CITY_ALMATY,), ("almaty",)),
    PetitionStory(turkestan_lights, "pending_overdue", (P_SHORNAK,), (REGION_TURKESTAN,), ("turkestan",)),
    PetitionStory(stray_animals, "returned", (), (GOVERNMENT,), ("almaty",)),
    PetitionStory(kegen_pastures, "draft", (P_KARKARA,), (DISTRICT_KEGEN,), ("kegen",)),
)


def _available(story: PetitionStory, citizens: dict[str, list[Citizen]], users: dict[str, User]) -> bool:
    return (
        all(first_place(group) is not None for group in story.places)
        and all(find_authority(key) is not None for key in story.authorities)
        and all(len(citizens.get(pool, [])) >= 2 for pool in story.pools)
        and all(email in users for email in story.officers)
    )


def demo_petitions_exist() -> bool:
    """The demo's residents are there (so are their petitions): the seeder has run."""
    return (
        db.session.scalar(sa.select(sa.exists().where(User.email.endswith(f"@{DEMO_DOMAIN}", autoescape=True)))) is True
    )


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def seed_demo_petitions(today: date | None = None) -> dict:
    """Add the demo petitions (see the module docstring); returns what was added."""
    present = set(db.session.scalars(sa.select(User.email).where(User.email.in_(CORE_ACCOUNTS))))
    missing = sorted(set(CORE_ACCOUNTS) - present)
    if missing:
        return {"petitions": 0, "petitions_note": f"demo petitions not added: accounts missing ({', '.join(missing)})"}
    if demo_petitions_exist():
        return {"petitions": 0, "petitions_note": "demo petitions already there"}
    from core.accounts.services import hash_password
    from core.seed import DEMO_PASSWORD

    started = time.monotonic()
    populations = set_populations(POPULATIONS)
    thresholds = set_demo_thresholds()
    password_hash = hash_password(DEMO_PASSWORD)
    citizens = create_citizens(password_hash)
    officers = create_officers(password_hash)
    db.session.flush()
    before = (_count(Petition), _count(Signature), _count(Case))
    today = today or loop.today()
    replay = PetitionReplay(today, citizens, officers)
    stories = [s for s in STORIES if _available(s, citizens, replay.users)]
    skipped = [s.script.__name__ for s in STORIES if s not in stories]
    queued = len(pending_jobs())
    with replay.clock():
        replay.run([s.script for s in stories])
    db.session.flush()
    del pending_jobs()[queued:]  # replayed history: no mail about it
    added = _count(Petition) - before[0]
    signatures = _count(Signature) - before[1]
    current_app.logger.info(
        "demo petitions: %s stories, %s petitions, %s signatures, %s cases, %s sweeps, %.1f s",
        len(stories),
        added,
        signatures,
        _count(Case) - before[2],
        replay.sweeps,
        time.monotonic() - started,
    )
    return {
        "petitions": added,
        "petition_stories": len(stories),
        "petition_stories_skipped": skipped,
        "petition_signatures": signatures,
        "petition_paper_batches": _count(PaperBatch),
        "petition_cases": _count(Case) - before[2],
        "petition_signers": sum(len(v) for v in citizens.values()),
        "petition_officers": sorted(officers),
        "populations_set": populations,
        "demo_thresholds": thresholds,
    }
