"""Demo cases for ``flask seed demo``: the loop at every stage, replayed through the services.

The cases come from the documents (``../shared/DOMAIN.md`` §2.7): drinking water in Karasai district,
road-repair routes in Enbekshikazakh, pastures in Kegen, veterinary rules for livestock sales at Kurban
Ait, playgrounds and cameras in Turgen, the «Кабанды» and «Шибут» dams in Raiymbek, stray animals, waste
management, a cerebral-palsy centre in Talgar, proposals to the National Kurultai — and one proposal that
climbed from the Turgen rural district to the National Kurultai and came back with its outcome.

Nothing is written directly: each case is a short script of service calls at past dates (``on=``). The
scripts run interleaved in date order on a replayed clock (``services.replayed_clock``), with
the sweep run as the hourly job would have run it, so events, deadlines, ratings and statistics are what
they would be had it all happened. Finished stories are fixed in 2026; the open ones are placed a few
working days before today, so a fresh demo always has new, awaiting, extended, answered and overdue cases.

Behind the stories runs a background: 70-odd ordinary proposals of February to September 2026 to the
district akimats of Almaty region and to rural akims' offices of Enbekshikazakh district, each authority with
its own habits (diligent, late, refusing…), played the same way, so that the league tables and the
authorities' responsiveness panels have figures from the first start (see ``HABITS``).

The replayed history is not news: the notifications it queues are dropped, so the outbox does not fill with
months-old mail. Flushes, never commits; adds nothing when demo cases are already there.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import current_app

from core import seed_data
from core.accounts.models import User
from core.authorities.models import Authority
from core.authorities.services import find_authority
from core.calendar import add_working_days, is_working_day
from core.db import db, pending_jobs
from core.territories.models import Territory
from feedback import rules, services
from feedback.models import Case, CaseState, Decision, ParticipantRole

#: A demo script yields the date it next acts on and runs on when the replay reaches that date.
Script = Callable[["Replay"], Iterator[date]]

CITIZEN = "citizen@tyndau.kz"  # Айгерім, Turgen: the demo citizen of core.seed
TURGEN = "citizen.turgen@tyndau.kz"
TAUTURGEN = "citizen.tauturgen@tyndau.kz"
ESIK = "citizen.esik@tyndau.kz"
AITEI = "citizen.aitei@tyndau.kz"
KASKELEN = "citizen.kaskelen@tyndau.kz"
TALGAR = "citizen.talgar@tyndau.kz"

AKIM_TURGEN = "akim.turgen@tyndau.kz"
AKIMAT_ENBEKSHIKAZAKH = "akimat.enbekshikazakh@tyndau.kz"
AKIMAT_REGION = "akimat.almaty-region@tyndau.kz"
AKIMAT_KARASAI = "akimat.karasai@tyndau.kz"
AKIMAT_TALGAR = "akimat.talgar@tyndau.kz"
MINISTRY_AGRICULTURE = "ministry.agriculture@tyndau.kz"
GOVERNMENT = "government@tyndau.kz"
KURULTAI = "kurultai@tyndau.kz"

RURAL_TURGEN = f"akim:{seed_data.DEMO_RURAL_DISTRICT}"
DISTRICT_ENBEKSHIKAZAKH = f"akimat:{seed_data.DEMO_DISTRICT}"
REGION_ALMATY = f"akimat:{seed_data.DEMO_REGION}"
DISTRICT_KARASAI = "akimat:195200000"
DISTRICT_TALGAR = "akimat:196200000"
DISTRICT_KEGEN = "akimat:194400000"
DISTRICT_RAIYMBEK = "akimat:195800000"
DISTRICT_SAURAN = "akimat:615500000"

# Places (KATO codes, edition NK RK 11-2025).
P_TURGEN = seed_data.DEMO_VILLAGE  # с.Тургень
P_TAUTURGEN = "194081200"  # с.Таутургень
P_ESIK = "194020100"  # г.Есик
P_AITEI = "195231100"  # с.Айтей, Karasai district
P_KASKELEN = "195220100"  # г.Каскелен
P_TALGAR = "196220100"  # г.Талгар
P_KARKARA = "194453100"  # с.Каркара, Kegen district
P_RAIYMBEK = "195800000"  # Raiymbek district (the dams are the district's)
P_SHORNAK = "615530100"  # с.Чернак / Шорнақ, Sauran district, Turkestan region

#: Kazakhstan's time zone: the replayed clock's working hours are local.
LOCAL = timezone(timedelta(hours=5))


# -- the replay -----------------------------------------------------------------------------------------


class Replay:
    """Runs demo scripts in date order on a replayed clock, sweeping as the hourly job would have."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.day: date | None = None
        self.moment: datetime | None = None
        self.users: dict[str, User] = {
            u.email: u for u in db.session.scalars(sa.select(User).where(User.email.like("%@tyndau.kz")))
        }
        self.sweeps = 0

    # the clock the services read while the replay runs
    def now(self) -> datetime:
        assert self.moment is not None
        self.moment += timedelta(seconds=1)
        return self.moment

    def current_day(self) -> date:
        assert self.day is not None
        return self.day

    def _set_clock(self, day: date, hour: int, minute: int = 0) -> None:
        start = datetime.combine(day, time(hour, minute), tzinfo=LOCAL).astimezone(UTC)
        before = self.moment
        if before is None or start > before:
            self.moment = start
        else:  # another step on the same day: a little later (on a busy day, only just later)
            later = before + timedelta(minutes=37)
            late_evening = datetime.combine(day, time(22, 0), tzinfo=LOCAL).astimezone(UTC)
            self.moment = later if later <= late_evening else before + timedelta(minutes=1)
        # Today's steps happen before now, never in the future.
        real = datetime.now(UTC) - timedelta(minutes=1)
        if self.moment > real:
            self.moment = max(real, before or real)
        self.day = day

    @contextmanager
    def clock(self) -> Iterator[None]:
        """The services read the replayed clock while the block runs."""
        with services.replayed_clock(self.now, self.current_day):
            yield

    # sweeps
    def _sweep(self, day: date) -> None:
        services.sweep(on=day)
        self.sweeps += 1

    def _next_change(self) -> date | None:
        """The first day after the current one on which the sweep has something to do."""
        assert self.day is not None
        found: list[date] = []
        due = db.session.scalar(
            sa.select(sa.func.min(Case.due_on)).where(Case.state.in_([CaseState.OPENED, CaseState.AWAITING]))
        )
        if due is not None:
            found.append(due + timedelta(days=1))  # overdue the day after the due date
        late = db.session.scalars(
            sa.select(Case.due_on)
            .join(Authority, Authority.id == Case.authority_id)
            .where(Case.state == CaseState.OVERDUE, Authority.parent_id.is_not(None))
            .distinct()
        )
        found.extend(add_working_days(d, rules.escalate_after_overdue_days() + 1) for d in late)
        closes = db.session.scalar(
            sa.select(sa.func.min(Case.rating_closes_on)).where(
                Case.state == CaseState.ANSWERED, Case.rating_closed_at.is_(None)
            )
        )
        if closes is not None:
            found.append(closes + timedelta(days=1))
        later = [d for d in found if d > self.day]
        return min(later) if later else None

    def advance(self, day: date) -> None:
        """Bring the world to the morning of ``day``: every sweep that would have changed something runs
        on its own date, then the day's first sweep."""
        if self.day is not None and day <= self.day:
            return
        while self.day is not None:
            step = self._next_change()
            if step is None or step >= day:
                break
            self._set_clock(step, 0, 7)
            self._sweep(step)
        self._set_clock(day, 0, 7)
        self._sweep(day)

    def run(self, scripts: list[Script]) -> None:
        queue: list[tuple[date, int, Iterator[date]]] = []
        for seq, script in enumerate(scripts):
            steps = script(self)
            first = next(steps, None)
            if first is not None:
                heapq.heappush(queue, (first, seq, steps))
        while queue:
            day, seq, steps = heapq.heappop(queue)
            self.advance(day)
            self._set_clock(day, 9 + seq % 8, (seq * 13) % 60)
            following = next(steps, None)
            self._sweep(day)  # the hourly job later that day (e.g. a rating window every participant used)
            if following is not None:
                if following < day:
                    raise RuntimeError(f"demo script {steps} went back in time: {following} < {day}")
                heapq.heappush(queue, (following, seq, steps))
        self.advance(self.today)

    # helpers for the scripts
    def user(self, email: str) -> User:
        return self.users[email]

    def ago(self, working_days: int) -> date:
        """The date ``working_days`` working days before today (0: today, or the last working day)."""
        day = self.today
        while not is_working_day(day):
            day -= timedelta(days=1)
        for _ in range(working_days):
            day -= timedelta(days=1)
            while not is_working_day(day):
                day -= timedelta(days=1)
        return day

    def file(self, author: str, authority_key: str, place: str, title: str, body: str, signers=()) -> Case:
        authority = find_authority(authority_key)
        case = services.file_proposal(self.user(author), authority, title, body, territory_code=place)
        if signers:
            services.add_participants(case, [self.user(e).id for e in signers], ParticipantRole.SIGNER)
        return case

    def take(self, case: Case, officer: str) -> None:
        services.assign(case, self.user(officer), self.user(officer))

    def answer(self, case: Case, officer: str, decision: Decision, text: str, measures=()) -> None:
        items = [services.MeasureInput(d, r, due) for d, r, due in measures]
        services.publish_answer(case, decision, text, items, self.user(officer), on=self.day)

    def rate(self, case: Case, email: str, satisfied: bool, comment: str = "") -> None:
        services.rate(case, self.user(email), satisfied, comment, on=self.day)

    def above(self, case: Case) -> Case:
        """The case one level up that carries ``case`` on (it must have escalated by now)."""
        upper = db.session.scalar(sa.select(Case).where(Case.escalated_from_id == case.id))
        if upper is None:
            raise RuntimeError(f"demo case {case.id} ({case.title}) has not escalated by {self.day}")
        return upper

    def escalation_day(self, case: Case) -> date:
        """The day the sweep escalates a case left unanswered past its due date."""
        return add_working_days(case.due_on, rules.escalate_after_overdue_days() + 1)


def wd(day: date, n: int) -> date:
    return add_working_days(day, n)


# -- the stories ----------------------------------------------------------------------------------------


def climb_to_kurultai(r: Replay) -> Iterator[date]:
    """Turgen → Enbekshikazakh district → Almaty region → Government → National Kurultai, and back down."""
    yield date(2026, 2, 2)
    village = r.file(
        CITIZEN,
        RURAL_TURGEN,
        P_TURGEN,
        "Түргенде ерекше қажеттіліктері бар балаларға арналған оңалту орталығы керек",
        "Менің ұлым церебральды сал ауруымен ауырады. Түрген ауылдық округінде де, бүкіл Еңбекшіқазақ "
        "ауданында да балаларға арналған оңалту орталығы жоқ: емдеу курсы үшін аптасына екі рет Алматыға "
        "70 шақырым жол жүреміз, кезек бірнеше айға созылады. Біздің округте осындай жағдайдағы кемінде "
        "14 отбасы бар.\n\nАуылдағы амбулаторияда күндізгі оңалту кабинетін ашуды және балаларды аудандағы "
        "орталыққа апаратын көлік ұйымдастыруды сұраймыз.",
        signers=[TURGEN, TAUTURGEN],
    )
    yield date(2026, 2, 3)
    r.take(village, AKIM_TURGEN)
    yield date(2026, 2, 16)
    r.answer(
        village,
        AKIM_TURGEN,
        Decision.NOT_SUPPORTED,
        "Ауылдық округтің 2026 жылғы бюджетінде медициналық оңалту кабинетін ашуға қаражат қарастырылмаған, "
        "ал медициналық көмекті ұйымдастыру ауылдық округ әкімінің құзыретіне кірмейді. Ұсыныстарыңыз "
        "аудандық емханаға жіберілді.",
    )
    yield date(2026, 2, 17)
    r.rate(village, CITIZEN, False, "Жауапта бір ғана сөз бар: «құзыретке кірмейді». Ал балаларға көмек керек.")
    r.rate(village, TURGEN, False, "Нас просто отправили по кругу.")
    yield date(2026, 2, 18)
    r.rate(village, TAUTURGEN, False)
    yield date(2026, 2, 18)  # every participant rated: the day's sweep carries it up to the district

    district = r.above(village)
    yield wd(district.received_on, 1)
    r.take(district, AKIMAT_ENBEKSHIKAZAKH)  # taken up, then left without an answer
    yield r.escalation_day(district)

    region = r.above(district)
    yield wd(region.received_on, 1)
    r.take(region, AKIMAT_REGION)
    yield wd(region.received_on, 7)
    r.answer(
        region,
        AKIMAT_REGION,
        Decision.REFERRED,
        "Акимат области поддерживает инициативу. Сеть реабилитационных центров для детей с особыми "
        "потребностями создаётся за счёт республиканского бюджета в рамках национального проекта, "
        "поэтому обращение направлено в Правительство Республики Казахстан для решения вопроса о центре "
        "в Енбекшиказахском районе.",
    )
    government = r.above(region)  # "referred to a higher level" escalates at once
    yield wd(government.received_on, 1)
    r.take(government, GOVERNMENT)
    yield wd(government.received_on, 12)
    r.answer(
        government,
        GOVERNMENT,
        Decision.PARTLY,
        "Строительство реабилитационного центра в Енбекшиказахском районе будет рассмотрено при "
        "формировании республиканского бюджета на 2027–2029 годы. До этого жители сельских округов "
        "района получат выездную реабилитационную помощь.",
        [
            (
                "Внести реабилитационный центр для детей в г.Есик в перечень объектов на 2027–2029 годы",
                "Министерство здравоохранения РК, акимат Алматинской области",
                date(2026, 12, 15),
            ),
            (
                "Организовать выездные бригады реабилитации в сельские округа Енбекшиказахского района",
                "Управление здравоохранения Алматинской области",
                date(2026, 9, 1),
            ),
        ],
    )
    yield wd(r.day, 1)
    r.rate(government, CITIZEN, False, "2029 жылға дейін күте алмаймыз: балалар қазір өсіп жатыр.")
    r.rate(government, TURGEN, True, "Выездные бригады — уже что-то.")
    yield wd(r.day, 1)
    r.rate(government, TAUTURGEN, False, "Мерзімі тым ұзақ.")
    yield r.day

    top = r.above(government)
    yield wd(top.received_on, 1)
    r.take(top, KURULTAI)
    services.shortlist(top, "Национальный курултай, заседание 2026 года", r.user(KURULTAI))
    yield wd(top.received_on, 11)
    r.answer(
        top,
        KURULTAI,
        Decision.SUPPORTED,
        "Предложение рассмотрено на заседании Национального курултая. Глава государства поддержал "
        "инициативу: у каждого ребёнка с особыми потребностями должен быть доступ к качественной "
        "реабилитации и образованию, с реабилитационными центрами в каждом областном центре. Поручение "
        "дано Правительству и акиматам; ход исполнения публикуется здесь.",
        [
            (
                "Открыть реабилитационные центры для детей с особыми потребностями в каждом областном центре",
                "Правительство РК, Министерство здравоохранения РК, Министерство просвещения РК, акиматы областей",
                date(2027, 12, 31),
            ),
            (
                "Открыть дневной реабилитационный центр в г.Есик и организовать подвоз детей из сельских округов",
                "Акимат Алматинской области, акимат Енбекшиказахского района",
                date(2027, 6, 30),
            ),
            (
                "Запустить выездные бригады реабилитации в сельских округах, начиная с Тургенского",
                "Управление здравоохранения Алматинской области",
                date(2026, 9, 1),
            ),
        ],
    )
    yield wd(r.day, 2)
    r.rate(top, CITIZEN, True, "Рахмет! Енді орындалуын күтеміз.")
    r.rate(top, TURGEN, True)
    r.rate(top, TAUTURGEN, True)


def karasai_water(r: Replay) -> Iterator[date]:
    """Drinking water in Aitei (the 16-village water and power project of Karasai district): partly
    supported with measures, the participants split, resolved."""
    yield date(2026, 4, 6)
    case = r.file(
        AITEI,
        DISTRICT_KARASAI,
        P_AITEI,
        "Әйтей ауылында ауыз су күніне екі сағат қана беріледі",
        "Әйтей ауылының жоғарғы көшелерінде наурыздан бері су құбырынан су күніне екі сағат қана келеді, "
        "қысым әлсіз. Құбырлар кеңес кезінде салынған, ауыл халқы содан бері екі есе өсті. Қарасай ауданындағы "
        "16 ауылда сумен жабдықтау жобасы бар деп естідік — Әйтей соның ішінде ме, қашан басталады?",
        signers=[KASKELEN],
    )
    yield date(2026, 4, 7)
    r.take(case, AKIMAT_KARASAI)
    yield date(2026, 4, 21)
    r.answer(
        case,
        AKIMAT_KARASAI,
        Decision.PARTLY,
        "Әйтей ауылы электрмен және сумен жабдықтауды жаңғырту жобасына енгізілген 16 ауылдың қатарында. "
        "Жобалау-сметалық құжаттама дайын, қаржыландыру бюджеттік келісу сатысында. Құрылыс басталғанға "
        "дейін жоғарғы көшелерге су тасымалданады.",
        [
            (
                "Жоғарғы көшелерге аптасына екі рет автоцистернамен ауыз су жеткізу",
                "Әйтей ауылдық округі әкімінің аппараты",
                date(2026, 5, 4),
            ),
            (
                "Әйтей ауылындағы су құбыры желілерін ауыстыру (16 ауыл жобасы)",
                "Қарасай ауданының тұрғын үй-коммуналдық шаруашылығы бөлімі",
                date(2026, 10, 30),
            ),
        ],
    )
    yield date(2026, 4, 22)
    r.rate(case, AITEI, True, "Су тасу басталды, рахмет.")
    yield date(2026, 4, 24)
    r.rate(case, KASKELEN, False, "Сроки по сетям слишком размыты.")


def enbekshikazakh_roads(r: Replay) -> Iterator[date]:
    """Road-repair routes in Enbekshikazakh district: supported with measures, resolved."""
    yield date(2026, 5, 12)
    case = r.file(
        ESIK,
        DISTRICT_ENBEKSHIKAZAKH,
        P_ESIK,
        "Опубликовать маршруты ремонта дорог на 2026 год и отремонтировать дорогу Есик – Тургень",
        "Каждую весну ремонтируют одни и те же центральные улицы Есика, а дорога на Тургень и улицы "
        "у школы №2 стоят в ямах. Просим опубликовать на сайте акимата маршруты и графики ремонта дорог "
        "района на 2026 год и включить в них участок Есик – Тургень: по нему каждый день ездят автобусы "
        "с детьми и скорая помощь.",
        signers=[TURGEN],
    )
    yield date(2026, 5, 13)
    r.take(case, AKIMAT_ENBEKSHIKAZAKH)
    yield date(2026, 5, 29)
    r.answer(
        case,
        AKIMAT_ENBEKSHIKAZAKH,
        Decision.SUPPORTED,
        "Перечень дорог и улиц района, ремонтируемых в 2026 году, с графиком работ будет опубликован на "
        "сайте акимата. Средний ремонт участка Есик – Тургень включён в план текущего сезона.",
        [
            (
                "Опубликовать перечень и график ремонта дорог района на 2026 год",
                "Отдел пассажирского транспорта и автомобильных дорог Енбекшиказахского района",
                date(2026, 6, 15),
            ),
            (
                "Средний ремонт автодороги Есик – Тургень (12 км)",
                "Отдел пассажирского транспорта и автомобильных дорог Енбекшиказахского района",
                date(2026, 9, 30),
            ),
        ],
    )
    yield date(2026, 6, 2)
    r.rate(case, ESIK, True, "Спасибо, будем следить за графиком.")
    r.rate(case, TURGEN, True)


def kurban_ait_livestock(r: Replay) -> Iterator[date]:
    """Veterinary rules for selling livestock at Kurban Ait: sent to the region, redirected to the
    Ministry of Agriculture, «Төрт түлік» changed."""
    yield date(2026, 4, 27)
    case = r.file(
        TALGAR,
        REGION_ALMATY,
        P_TALGAR,
        "Құрбан айтта мал сатуға арналған ветеринариялық талаптарды жеңілдету",
        "Құрбан айт қарсаңында қалалық жәрмеңкеде мал сатқымыз келеді, бірақ «Төрт түлік» есепке алу "
        "нысаны бойынша әр малға бөлек анықтама алу керек, ал ауылдық ветстанция оны бір аптада әрең береді. "
        "Аз қамтылған отбасылар үшін бұл жәрмеңкеге шығуға кедергі. Айт кезіндегі жәрмеңкелер үшін "
        "ветеринариялық құжаттарды жеңілдетуді сұраймыз.",
        signers=[TAUTURGEN],
    )
    yield date(2026, 4, 28)
    services.redirect(
        case,
        find_authority("ministry:agriculture"),
        "«Төрт түлік» есепке алу нысаны — республикалық нысан, оны өзгерту ҚР Ауыл шаруашылығы министрлігінің "
        "Ветеринариялық бақылау және қадағалау комитетінің құзыретінде.",
        r.user(AKIMAT_REGION),
        on=r.day,
    )
    yield date(2026, 4, 29)
    r.take(case, MINISTRY_AGRICULTURE)
    yield date(2026, 5, 15)
    r.answer(
        case,
        MINISTRY_AGRICULTURE,
        Decision.SUPPORTED,
        "Ұсыныс қолдау тапты. «Төрт түлік» нысанына өзгерістер енгізілді: Құрбан айт кезіндегі қалалық "
        "жәрмеңкелерде ауыл тұрғындары малды бір топтық ветеринариялық анықтамамен сата алады.",
        [
            (
                "«Төрт түлік» есепке алу нысанына топтық ветеринариялық анықтаманы енгізу",
                "ҚР АШМ Ветеринариялық бақылау және қадағалау комитеті",
                date(2026, 5, 20),
            ),
            (
                "Ауылдық ветстанцияларға жаңа тәртіпті түсіндіру",
                "Алматы облысының ветеринария басқармасы",
                date(2026, 5, 22),
            ),
        ],
    )
    yield date(2026, 5, 18)
    r.rate(case, TALGAR, True, "Рахмет, жәрмеңкеге үлгердік!")
    r.rate(case, TAUTURGEN, True)


def raiymbek_dams(r: Replay) -> Iterator[date]:
    """The «Кабанды» and «Шибут» dams: the district let it go overdue, it escalated once, the region
    answered with measures."""
    yield date(2026, 6, 1)
    district = r.file(
        KASKELEN,
        DISTRICT_RAIYMBEK,
        P_RAIYMBEK,
        "Качество строительства плотин «Кабанды» и «Шибут»",
        "Мои родители — фермеры в Райымбекском районе. На строительстве плотин «Кабанды» и «Шибут» "
        "бетон уже крошится, а работы отстают от графика на год. От этих плотин зависит полив всех "
        "хозяйств в долине. Просим проверить качество работ и подрядчиков и сообщить сроки завершения.",
    )
    yield r.escalation_day(district)
    region = r.above(district)
    yield region.received_on
    r.take(region, AKIMAT_REGION)
    yield wd(region.received_on, 9)
    r.answer(
        region,
        AKIMAT_REGION,
        Decision.SUPPORTED,
        "Выезд на объекты подтвердил нарушения: некачественные материалы и отставание от графика. "
        "Материалы направлены на экспертизу и в прокуратуру, подрядчикам выданы предписания.",
        [
            (
                "Передать материалы проверки в прокуратуру и внести подрядчиков в список ненадёжных",
                "Управление строительства Алматинской области",
                wd(r.day, 5),
            ),
            (
                "Устранить дефекты бетонных работ за счёт подрядчика под техническим надзором",
                "Управление энергетики и водного хозяйства Алматинской области",
                date(2026, 10, 15),
            ),
        ],
    )
    yield wd(r.day, 2)
    r.rate(region, KASKELEN, True, "Спасибо, что отреагировали.")


def turgen_playgrounds(r: Replay) -> Iterator[date]:
    """A playground for Turgen: supported with measures, resolved."""
    yield date(2026, 7, 20)
    case = r.file(
        TURGEN,
        RURAL_TURGEN,
        P_TURGEN,
        "Детская площадка для нового микрорайона Тургеня",
        "В новом микрорайоне у трассы живёт больше двухсот семей, а детской площадки нет: дети играют "
        "у дороги. Просим установить площадку на пустыре за магазином и освещение рядом с ней.",
        signers=[CITIZEN],
    )
    yield date(2026, 7, 21)
    r.take(case, AKIM_TURGEN)
    yield date(2026, 8, 4)
    r.answer(
        case,
        AKIM_TURGEN,
        Decision.SUPPORTED,
        "Ұсыныс қолдау тапты. Балалар алаңы жергілікті қоғамдастықтың бюджеті есебінен орнатылады, "
        "жиналыста тұрғындар бұл жобаны бірінші кезекке қойды.",
        [
            ("Балалар алаңын орнату", "Түрген ауылдық округі әкімінің аппараты", date(2026, 9, 15)),
            ("Алаң маңына көше жарығын орнату", "Түрген ауылдық округі әкімінің аппараты", date(2026, 9, 30)),
        ],
    )
    yield date(2026, 8, 6)
    r.rate(case, TURGEN, True, "Спасибо!")
    r.rate(case, CITIZEN, True)


def turgen_cameras(r: Replay) -> Iterator[date]:
    """New today: cameras on the road to school."""
    yield r.today
    r.file(
        CITIZEN,
        RURAL_TURGEN,
        P_TURGEN,
        "Мектепке баратын жолға бейнебақылау камераларын орнату",
        "Түргендегі №1 мектепке баратын жолда кешке жарық жоқ, көліктер жылдам жүреді. Мектеп алдындағы "
        "қиылысқа және аялдамаға бейнебақылау камераларын орнатуды сұраймыз.",
        signers=[TURGEN],
    )


def tauturgen_water(r: Replay) -> Iterator[date]:
    """Awaiting the Turgen akim's answer."""
    yield r.ago(4)
    case = r.file(
        TAUTURGEN,
        RURAL_TURGEN,
        P_TAUTURGEN,
        "Таутүргенде ауыз судың сапасы нашар",
        "Жаңбырдан кейін Таутүргендегі су құбырынан лай су ағады, балалар ауырып қалды. Су сапасын "
        "тексеріп, су жинағышты тазартуды сұраймыз.",
    )
    yield r.ago(3)
    r.take(case, AKIM_TURGEN)


def esik_stray_animals(r: Replay) -> Iterator[date]:
    """Awaiting the district akimat's answer."""
    yield r.ago(6)
    case = r.file(
        ESIK,
        DISTRICT_ENBEKSHIKAZAKH,
        P_ESIK,
        "Безнадзорные собаки у школ Есика",
        "У школ и на рынке Есика собираются стаи безнадзорных собак, в октябре покусали ребёнка. Закон "
        "об ответственном обращении с животными требует отлова, стерилизации и приютов, но в районе нет "
        "ни приюта, ни договора с отловщиками. Просим организовать работу по методу «отлов – стерилизация – "
        "вакцинация – возврат» вместе с местными волонтёрами.",
        signers=[KASKELEN],
    )
    yield r.ago(5)
    r.take(case, AKIMAT_ENBEKSHIKAZAKH)


def karasai_waste(r: Replay) -> Iterator[date]:
    """Extended once, with a reason."""
    yield r.ago(12)
    case = r.file(
        KASKELEN,
        DISTRICT_KARASAI,
        P_KASKELEN,
        "Раздельный сбор отходов в Каскелене",
        "Мы уже не раз обращались в разные инстанции: мусор в Каскелене вывозят одной машиной на полигон, "
        "хотя рядом работает компания, которая принимает вторсырьё. Предлагаем систему из двух компаний: "
        "одна собирает вторсырьё, другая вывозит и захоранивает остатки, — и установить контейнеры для "
        "раздельного сбора во дворах.",
        signers=[AITEI],
    )
    yield r.ago(11)
    r.take(case, AKIMAT_KARASAI)
    yield r.ago(10)
    services.extend(
        case,
        case.due_on + timedelta(days=30),
        "Ұсыныс тарифті қайта есептеуді және екі оператормен (қайталама шикізат жинау және қалдықтарды "
        "көму) келісуді талап етеді; аудан мәслихатының шешімі қажет.",
        r.user(AKIMAT_KARASAI),
        on=r.day,
    )


def talgar_cp_centre(r: Replay) -> Iterator[date]:
    """Answered, the rating window still open."""
    yield r.ago(14)
    case = r.file(
        TALGAR,
        DISTRICT_TALGAR,
        P_TALGAR,
        "Талғарда церебральды сал ауруы бар балаларға арналған орталық ашу",
        "Талғар ауданында церебральды сал ауруы бар 60-тан астам бала тіркелген, бірақ күндізгі оңалту "
        "орталығы жоқ. Бос тұрған бұрынғы балабақша ғимаратын осындай орталыққа беруді сұраймыз.",
        signers=[CITIZEN],
    )
    yield r.ago(13)
    r.take(case, AKIMAT_TALGAR)
    yield r.ago(3)
    r.answer(
        case,
        AKIMAT_TALGAR,
        Decision.PARTLY,
        "Здание бывшего детского сада в г.Талгар передаётся под дневной центр для детей с ДЦП после "
        "ремонта. Оснащение центра будет включено в заявку района на следующий год.",
        [
            (
                "Передать здание бывшего детского сада на баланс районного центра поддержки семьи",
                "Отдел занятости и социальных программ Талгарского района",
                r.today + timedelta(days=40),
            ),
            (
                "Провести капитальный ремонт здания под дневной центр",
                "Отдел строительства Талгарского района",
                r.today + timedelta(days=220),
            ),
        ],
    )
    yield r.ago(2)
    r.rate(case, TALGAR, True, "Ғимарат берілсе — үлкен қадам.")


def kegen_pastures(r: Replay) -> Iterator[date]:
    """Overdue: the Kegen district akimat has not answered."""
    yield r.ago(17)
    r.file(
        TAUTURGEN,
        DISTRICT_KEGEN,
        P_KARKARA,
        "Қарқара жайлауындағы жайылым дауы",
        "Біз Еңбекшіқазақ ауданынан жазда малды Қарқара жайлауына шығарамыз. Биыл жайылымның бір бөлігін "
        "жеке шаруа қожалығы қоршап алды, мал өтетін жол жабылды. Жайылымдарды пайдалану жоспарын "
        "жариялауды және малдың өтетін жолын ашуды сұраймыз.",
    )


def sauran_village_park(r: Replay) -> Iterator[date]:
    """New: a village park and solar street lights in Sauran district."""
    yield r.ago(1)
    r.file(
        KASKELEN,
        DISTRICT_SAURAN,
        P_SHORNAK,
        "«Сельский парк» и солнечные фонари в Шорнаке",
        "Пишу от имени родителей и соседей из Шорнака: в соседних сёлах района по проекту «Сельский парк» "
        "уже благоустроили парки и поставили уличные фонари на солнечных батареях, а центральная улица "
        "Шорнака по вечерам совсем тёмная. Просим включить Шорнак в проект на следующий год.",
    )


def kurultai_reading_villages(r: Replay) -> Iterator[date]:
    """A proposal straight to the National Kurultai, shortlisted for its next session."""
    yield r.ago(9)
    case = services.file_kurultai_proposal(
        r.user(ESIK),
        "«Читающее село»: обновить сельские библиотеки по примеру «Аулиеата – читающий регион»",
        "После учреждения Национального дня книги в Жамбылской области запустили проект «Аулиеата – "
        "читающий регион». Предлагаю сделать такую программу общенациональной для сёл: обновить фонды "
        "сельских библиотек, открыть в них детские читальные залы и бесплатный интернет, а школам — "
        "проводить ежегодный сельский день чтения.",
    )
    services.add_participants(case, [r.user(AITEI).id, r.user(TALGAR).id], ParticipantRole.SIGNER)
    yield r.ago(4)
    r.take(case, KURULTAI)
    services.shortlist(case, "Ұлттық құрылтайдың кезекті отырысы", r.user(KURULTAI))


@dataclass(frozen=True)
class DemoStory:
    script: Script
    places: tuple[str, ...]
    authorities: tuple[str, ...]


STORIES: tuple[DemoStory, ...] = (
    DemoStory(
        climb_to_kurultai, (P_TURGEN,), (RURAL_TURGEN, DISTRICT_ENBEKSHIKAZAKH, REGION_ALMATY, "government", "kurultai")
    ),
    DemoStory(karasai_water, (P_AITEI,), (DISTRICT_KARASAI,)),
    DemoStory(kurban_ait_livestock, (P_TALGAR,), (REGION_ALMATY, "ministry:agriculture")),
    DemoStory(enbekshikazakh_roads, (P_ESIK,), (DISTRICT_ENBEKSHIKAZAKH,)),
    DemoStory(raiymbek_dams, (P_RAIYMBEK,), (DISTRICT_RAIYMBEK, REGION_ALMATY)),
    DemoStory(turgen_playgrounds, (P_TURGEN,), (RURAL_TURGEN,)),
    DemoStory(kegen_pastures, (P_KARKARA,), (DISTRICT_KEGEN,)),
    DemoStory(talgar_cp_centre, (P_TALGAR,), (DISTRICT_TALGAR,)),
    DemoStory(karasai_waste, (P_KASKELEN,), (DISTRICT_KARASAI,)),
    DemoStory(kurultai_reading_villages, (), ("kurultai",)),
    DemoStory(esik_stray_animals, (P_ESIK,), (DISTRICT_ENBEKSHIKAZAKH,)),
    DemoStory(tauturgen_water, (P_TAUTURGEN,), (RURAL_TURGEN,)),
    DemoStory(sauran_village_park, (P_SHORNAK,), (DISTRICT_SAURAN,)),
    DemoStory(turgen_cameras, (P_TURGEN,), (RURAL_TURGEN,)),
)

#: Every account a story acts as (created by core.seed's demo accounts).
DEMO_EMAILS = (
    CITIZEN,
    TURGEN,
    TAUTURGEN,
    ESIK,
    AITEI,
    KASKELEN,
    TALGAR,
    AKIM_TURGEN,
    AKIMAT_ENBEKSHIKAZAKH,
    AKIMAT_REGION,
    AKIMAT_KARASAI,
    AKIMAT_TALGAR,
    MINISTRY_AGRICULTURE,
    GOVERNMENT,
    KURULTAI,
)


# -- the background history -----------------------------------------------------------------------------
#
# The stories above are few and spread over many authorities: alone they give no authority the
# FEEDBACK_STATS_MIN_CASES its figures need. The background adds a past (February to October 2026) of
# ordinary proposals to the district akimats of Almaty region and to rural akims' offices of Enbekshikazakh
# district, each authority with its own habits, so that the league tables and the authority pages show
# figures that differ. The cases are built like the stories — through the services on the replayed clock —
# from a compact description: one letter per case says how the authority dealt with it.

#: Residents who write the background proposals (the demo password, not printed with the demo accounts).
R_ESIK = "resident.esik@tyndau.kz"
R_TURGEN = "resident.turgen@tyndau.kz"
R_KASKELEN = "resident.kaskelen@tyndau.kz"
R_TALGAR = "resident.talgar@tyndau.kz"
R_KONAEV = "resident.konaev@tyndau.kz"

AKIMAT_KONAEV = "akimat.konaev@tyndau.kz"
AKIMAT_ILI = "akimat.ili@tyndau.kz"
AKIMAT_ZHAMBYL = "akimat.zhambyl@tyndau.kz"
AKIM_ESIK = "akim.esik@tyndau.kz"
AKIM_SHELEK = "akim.shelek@tyndau.kz"
AKIM_BAITEREK = "akim.baiterek@tyndau.kz"


@dataclass(frozen=True)
class BackgroundAccount:
    email: str
    display_name: str
    locale: str
    home: str | None = None
    authority_key: str | None = None  # an officer of this authority; a resident when None


#: Created with the background when their home or authority exists (the officers answer for authorities
#: that have no demo officer).
BACKGROUND_ACCOUNTS: tuple[BackgroundAccount, ...] = (
    BackgroundAccount(R_ESIK, "Ерлан Сапаров", "kk", home=P_ESIK),
    BackgroundAccount(R_TURGEN, "Дмитрий Ли", "ru", home=P_TURGEN),
    BackgroundAccount(R_KASKELEN, "Айнұр Мұратова", "kk", home=P_KASKELEN),
    BackgroundAccount(R_TALGAR, "Людмила Романова", "ru", home="196233100"),  # с.Кызылкайрат
    BackgroundAccount(R_KONAEV, "Ғалым Төлеуов", "kk", home="191010000"),  # г.Қонаев
    BackgroundAccount(AKIMAT_KONAEV, "Ақжол Серікбаев", "kk", authority_key="akimat:191000000"),
    BackgroundAccount(AKIMAT_ILI, "Ирина Цой", "ru", authority_key="akimat:196800000"),
    BackgroundAccount(AKIMAT_ZHAMBYL, "Мұрат Есенов", "kk", authority_key="akimat:194200000"),
    BackgroundAccount(AKIM_ESIK, "Сергей Шевченко", "ru", authority_key="akim:194020000"),
    BackgroundAccount(AKIM_SHELEK, "Руслан Ахметжанов", "ru", authority_key="akim:194083000"),
    BackgroundAccount(AKIM_BAITEREK, "Гүлмира Тәжібаева", "kk", authority_key="akim:194067000"),
)
RESIDENTS = tuple(a.email for a in BACKGROUND_ACCOUNTS if a.authority_key is None)


@dataclass(frozen=True)
class Topic:
    """A common local matter (DOMAIN.md §2.7), in one language: the proposal, and the two kinds of answer."""

    lang: str
    title: str
    body: str
    answer: str  # what a supporting answer says
    measure: str
    unit: str  # the department that carries the measure out
    refusal: str  # a "not supported" answer


TOPICS: tuple[Topic, ...] = (
    Topic(
        "ru",
        "Перебои с питьевой водой",
        "Летом вода в водопроводе бывает только по ночам, а на верхних улицах её нет по два-три дня. Просим "
        "проверить насосную станцию, составить график подачи воды и опубликовать его.",
        "Насос на водозаборе будет заменён; до этого вода подаётся по графику, опубликованному на сайте "
        "акимата и в чате улицы.",
        "Заменить насос на водозаборе и опубликовать график подачи воды",
        "отдел ЖКХ",
        "Водопровод передан в доверительное управление обслуживающей организации, замена оборудования за счёт "
        "бюджета в этом году не предусмотрена. Обращение передано организации для сведения.",
    ),
    Topic(
        "kk",
        "Мектепке баратын көшені жөндеу",
        "Мектепке апаратын көшеде асфальт әбден бұзылған: көктемде шұңқырларға су жиналып, балалар жолдың "
        "ортасымен жүреді. Көшені биылғы орташа жөндеу жоспарына енгізуді сұраймыз.",
        "Көше биылғы орташа жөндеу жоспарына енгізілді, жұмыс мердігермен шарт жасалғаннан кейін басталады.",
        "Көшені орташа жөндеу жоспарына енгізіп, жөндеу жұмыстарын жүргізу",
        "жолаушылар көлігі және автомобиль жолдары бөлімі",
        "Биылғы жөндеу тізімі бекітілген, қаржы басым жобаларға бөлінген. Көшені жөндеу келесі жылғы тізімді "
        "жасағанда ғана қаралады.",
    ),
    Topic(
        "ru",
        "Уличное освещение на окраинных улицах",
        "На трёх улицах у поймы реки нет ни одного фонаря, дети зимой возвращаются из школы в темноте. Просим "
        "установить уличное освещение, можно на солнечных батареях.",
        "Освещение улиц включено в план благоустройства: будут установлены светодиодные фонари на солнечных панелях.",
        "Установить светодиодные фонари на солнечных панелях на трёх улицах",
        "отдел ЖКХ",
        "Улицы не переданы на баланс акимата, поэтому освещение за счёт бюджета установить нельзя. Жителям "
        "рекомендовано оформить улицы в коммунальную собственность.",
    ),
    Topic(
        "kk",
        "Аудан орталығына автобус қатынасы",
        "Аудан орталығына баратын автобус күніне бір-ақ рет жүреді: ауруханаға немесе ХҚКО-ға бару үшін бір "
        "күн жоғалтамыз. Таңертеңгі және кешкі рейстерді қосуды сұраймыз.",
        "Тасымалдаушымен келісім бойынша таңертеңгі және кешкі рейстер қосылады, жаңа кесте аялдамаларға ілінеді.",
        "Маршрутқа таңертеңгі және кешкі рейстерді қосып, кестені жариялау",
        "жолаушылар көлігі бөлімі",
        "Маршрут субсидияланбайды, қосымша рейстер тасымалдаушыға шығын әкеледі. Конкурсқа жаңа тасымалдаушы "
        "әзірге табылған жоқ.",
    ),
    Topic(
        "ru",
        "Очередь на участки под ИЖС",
        "Наша семья стоит в очереди на земельный участок под индивидуальное жилищное строительство с 2015 года, "
        "а движения очереди не видно. Просим опубликовать очередь и список свободных участков.",
        "Очередь на участки под ИЖС и перечень свободных участков опубликованы на сайте акимата и будут "
        "обновляться ежеквартально.",
        "Публиковать очередь и перечень свободных участков под ИЖС каждый квартал",
        "отдел земельных отношений",
        "Свободных участков под ИЖС сейчас нет: новые массивы сформируют после утверждения генерального плана. "
        "Очередь с персональными данными заявителей не публикуется.",
    ),
    Topic(
        "kk",
        "ПИК есеп бермейді, шатыр ағып тұр",
        "Біздің көп пәтерлі үйдің ПИК-і үш жылдан бері тұрғындарға есеп бермейді, ал шатыр әр жаңбырда ағады. "
        "ПИК қызметін тексеріп, шатырды жөндеуге көмектесуді сұраймыз.",
        "ПИК қызметі тексерілді, тұрғындар жиналысы өткізіліп, шатырды жөндеу сметасы бекітілді.",
        "ПИК-тің қаржылық есебін тексеріп, шатыр жөндеуін ұйымдастыру",
        "тұрғын үй инспекциясы",
        "Көп пәтерлі үйдің ортақ мүлкін жөндеу — пәтер иелерінің міндеті; әкімдік ПИК-тің шаруашылық "
        "қызметіне араласпайды.",
    ),
    Topic(
        "ru",
        "Детская площадка во дворе",
        "В нашем дворе пять домов и больше ста детей, а старую площадку разобрали ещё в прошлом году. Просим "
        "установить новую площадку с безопасным покрытием.",
        "Площадка включена в проекты бюджета местного сообщества: жители выбрали её на сходе.",
        "Установить детскую площадку с резиновым покрытием",
        "отдел ЖКХ",
        "Двор находится на земельном участке кондоминиума, площадку устанавливают за счёт собственников квартир.",
    ),
    Topic(
        "kk",
        "Қоқыс шығару кестесі сақталмайды",
        "Қоқыс контейнерлері аптасына бір-ақ рет босатылады, жазда иіс пен шыбын көбейді. Қоқыс шығару "
        "кестесін сақтауды және қосымша контейнер қоюды сұраймыз.",
        "Оператормен келісім бойынша қоқыс аптасына үш рет шығарылады, қосымша екі контейнер қойылады.",
        "Қоқыс шығаруды аптасына үш ретке дейін жиілету, қосымша контейнерлер қою",
        "тұрғын үй-коммуналдық шаруашылық бөлімі",
        "Қоқыс шығару жиілігі бекітілген тарифке сәйкес; оны арттыру үшін тарифті қайта қарау керек, бұл жыл "
        "ішінде мүмкін емес.",
    ),
    Topic(
        "ru",
        "Цены на социально значимые продукты",
        "В магазинах посёлка хлеб, сахар и подсолнечное масло на двадцать–тридцать процентов дороже, чем в "
        "районном центре. Просим проверить соблюдение предельных цен и проводить ярмарки выходного дня.",
        "Торговые точки проверены; ярмарки выходного дня с местными производителями будут проходить каждую субботу.",
        "Проводить ярмарки выходного дня с сельхозпроизводителями каждую субботу",
        "отдел предпринимательства",
        "Предельные цены установлены лишь для части товаров, при проверке нарушений не выявлено. Ярмарки в "
        "посёлке планом на этот год не предусмотрены.",
    ),
    Topic(
        "kk",
        "Ескі су құбырын ауыстыру",
        "Көшедегі су құбыры 1970 жылдары тартылған, ай сайын жарылып, бір аптаға дейін су болмайды. Құбырды "
        "толық ауыстыруды сұраймыз.",
        "Көшедегі су құбырын ауыстыру ауылдарды сумен жабдықтау бағдарламасына енгізілді.",
        "Көшедегі су құбырының 1,2 шақырымын ауыстыру",
        "тұрғын үй-коммуналдық шаруашылық бөлімі",
        "Су құбырын ауыстыруға жобалау-сметалық құжаттама жоқ, ол тек келесі жылы әзірленеді.",
    ),
    Topic(
        "ru",
        "Стихийная свалка у арыка",
        "У оросительного арыка за последней улицей образовалась стихийная свалка, мусор уносит водой на "
        "огороды. Просим убрать свалку и поставить контейнеры.",
        "Свалка будет ликвидирована силами коммунального предприятия, у выезда с улицы оборудуют контейнерную "
        "площадку.",
        "Ликвидировать стихийную свалку и оборудовать контейнерную площадку",
        "отдел ЖКХ",
        "Участок у арыка находится в частной собственности, и убирать его обязан собственник: ему направлено "
        "предписание.",
    ),
    Topic(
        "kk",
        "Ауылдағы ХҚКО бөлімі аптасына екі-ақ күн ашық",
        "Ауылдағы халыққа қызмет көрсету орталығының бөлімі аптасына екі-ақ күн жұмыс істейді, кезек таңнан "
        "басталады. Жұмыс күндерін көбейтуді сұраймыз.",
        "Халыққа қызмет көрсету орталығымен келісім бойынша бөлім аптасына төрт күн жұмыс істейді.",
        "ХҚКО бөлімінің жұмыс күндерін аптасына төрт күнге дейін көбейту",
        "ХҚКО филиалымен бірлесіп",
        "Бөлімнің жұмыс кестесін «Азаматтарға арналған үкімет» мемлекеттік корпорациясы бекітеді, бұл "
        "әкімдіктің құзыретіне кірмейді.",
    ),
    Topic(
        "ru",
        "Арендное жильё для молодых семей",
        "Молодые семьи уезжают, потому что снять жильё негде. Просим включить нас в программу строительства "
        "кредитного и арендного жилья и опубликовать сроки.",
        "Строительство 60-квартирного арендного дома включено в программу следующего года, список очередников "
        "будет опубликован.",
        "Подготовить проектно-сметную документацию 60-квартирного арендного дома",
        "отдел строительства",
        "Лимиты программы на этот год распределены, новых объектов здесь не планируется.",
    ),
    Topic(
        "kk",
        "Мектеп алдындағы жаяу жүргіншілер өткелі",
        "Мектеп алдындағы жаяу жүргіншілер өткелінде жарық та, белгі де жоқ, көліктер жылдамдығын азайтпайды. "
        "Өткелді жарықтандырып, жасанды кедір-бұдыр салуды сұраймыз.",
        "Өткелге жарық пен жол белгілері орнатылады, жасанды кедір-бұдыр салынады.",
        "Жаяу жүргіншілер өткелін жарықтандыру және жасанды кедір-бұдыр салу",
        "жолаушылар көлігі және автомобиль жолдары бөлімі",
        "Жол облыстық маңызы бар жолдар тізімінде, оны күтіп-ұстау аудан әкімдігінің құзыретіне кірмейді.",
    ),
)

#: Phrases by language: partly supported, late, the answer of a higher authority, an extension's reason,
#: and the participants' comments.
PHRASES = {
    "ru": {
        "partly": " Остальная часть предложения будет рассмотрена при формировании бюджета следующего года.",
        "late": "Приносим извинения за задержку ответа. ",
        "above": "Обращение рассмотрено акиматом вышестоящего уровня. ",
        "extension": "Для ответа нужны выезд на место и согласование с обслуживающей организацией.",
        "satisfied": ("Спасибо, работы уже начались.", "Спасибо за быстрый ответ.", "", "Будем следить."),
        "dissatisfied": ("Отписка: проблема остаётся.", "Ответ не по существу.", "", "Пишем уже не первый раз."),
        "late_ok": "Долго, но ответили по существу.",
        "accepted": "Понятно, спасибо за разъяснение.",
    },
    "kk": {
        "partly": " Ұсыныстың қалған бөлігі келесі жылғы бюджетті қалыптастыру кезінде қаралады.",
        "late": "Жауаптың кешіккені үшін кешірім сұраймыз. ",
        "above": "Өтініш жоғары тұрған әкімдікте қаралды. ",
        "extension": "Жауап беру үшін жерге барып, қызмет көрсетуші ұйыммен келісу қажет.",
        "satisfied": ("Рахмет, жұмыс басталды.", "Тез жауап бергендеріңізге рахмет.", "", "Орындалуын бақылаймыз."),
        "dissatisfied": ("Мәселе шешілмей тұр.", "Жауап мәнсіз.", "", "Бірнеше рет жаздық, нәтиже жоқ."),
        "late_ok": "Кешікті, бірақ жауап нақты.",
        "accepted": "Түсінікті, түсіндіргендеріңізге рахмет.",
    },
}

#: How an authority dealt with a case, one letter each:
#: ``Q`` supported within a few days, ``S`` supported and ``P`` partly supported on time (participants
#: satisfied); ``L`` answered after the due date, before the sweep carried it up; ``O`` never answered: overdue,
#: then escalated; ``N`` "not supported" on time, the participants dissatisfied: escalated; ``n`` "not
#: supported", accepted or left unrated: closed without action; ``X`` deadline extended once, then supported
#: within the new one. What escalates is answered above, partly supported, and resolved.
OUTCOMES = "QSPLONnX"


@dataclass(frozen=True)
class Habits:
    """An authority's background: its cases, one letter each (see ``OUTCOMES``)."""

    authority: str
    officer: str
    above: str  # the officer of the authority above, who answers what escalates
    places: tuple[str, ...]  # the first one that exists and after it the others, in turn
    authors: tuple[str, ...]
    signers: tuple[str, ...]
    pattern: str
    pace: tuple[int, int]  # working days an on-time answer takes: from, to
    note: str


HABITS: tuple[Habits, ...] = (
    Habits(
        DISTRICT_KARASAI,
        AKIMAT_KARASAI,
        AKIMAT_REGION,
        (P_KASKELEN, P_AITEI),
        (R_KASKELEN,),
        (AITEI, KASKELEN),
        "SQSPSSLSQS",
        (4, 11),
        "answers nearly everything on time, with measures; participants satisfied",
    ),
    Habits(
        DISTRICT_ENBEKSHIKAZAKH,
        AKIMAT_ENBEKSHIKAZAKH,
        AKIMAT_REGION,
        (P_ESIK, "194083100", P_TAUTURGEN, "194067100"),  # г.Есик, с.Шелек, с.Таутургень, с.Байтерек
        (R_ESIK, R_TURGEN),
        (ESIK, TURGEN),
        "LOSLPLOL",
        (10, 15),
        "often late; what it leaves unanswered escalates to the region",
    ),
    Habits(
        DISTRICT_TALGAR,
        AKIMAT_TALGAR,
        AKIMAT_REGION,
        (P_TALGAR, "196233100"),  # г.Талгар, с.Кызылкайрат
        (R_TALGAR,),
        (TALGAR, R_KONAEV),
        "NnNSNnPN",
        (3, 9),
        "answers quickly, mostly «not supported»; participants dissatisfied, often escalated",
    ),
    Habits(
        "akimat:191000000",
        AKIMAT_KONAEV,
        AKIMAT_REGION,
        ("191010000",),  # г.Қонаев
        (R_KONAEV,),
        (R_TALGAR, R_KASKELEN),
        "PSLPnPS",
        (7, 13),
        "middling: mostly partly supported, one late",
    ),
    Habits(
        "akimat:196800000",  # Ili district: the full classifier only
        AKIMAT_ILI,
        AKIMAT_REGION,
        ("196830100", "196835100"),  # с.Отеген батыра, п.Боралдай
        (R_KONAEV, R_TALGAR),
        (R_KASKELEN,),
        "LSLPSL",
        (11, 15),
        "slow but supportive: half the answers late",
    ),
    Habits(
        "akimat:194200000",  # Zhambyl district: the full classifier only
        AKIMAT_ZHAMBYL,
        AKIMAT_REGION,
        ("194230100",),  # с.Узынагаш
        (R_KASKELEN,),
        (R_KONAEV, AITEI),
        "XSXPSX",
        (8, 14),
        "extends deadlines, then answers within them",
    ),
    Habits(
        RURAL_TURGEN,
        AKIM_TURGEN,
        AKIMAT_ENBEKSHIKAZAKH,
        (P_TURGEN, P_TAUTURGEN),
        (R_TURGEN,),
        (TURGEN, TAUTURGEN),
        "SQPSSLSP",
        (3, 9),
        "the elected akim: quick, supportive",
    ),
    Habits(
        "akim:194020000",
        AKIM_ESIK,
        AKIMAT_ENBEKSHIKAZAKH,
        (P_ESIK,),
        (R_ESIK,),
        (ESIK, KASKELEN),
        "OLLSLOL",
        (10, 15),
        "late; what it leaves unanswered escalates to the district",
    ),
    Habits(
        "akim:194083000",  # Shelek rural district: the full classifier only
        AKIM_SHELEK,
        AKIMAT_ENBEKSHIKAZAKH,
        ("194083100", "194083200"),  # с.Шелек, с.Майское
        (R_ESIK, R_TURGEN),
        (TAUTURGEN,),
        "NnNPNn",
        (5, 11),
        "mostly «not supported»; participants dissatisfied, escalated",
    ),
    Habits(
        "akim:194067000",  # Baiterek rural district: the full classifier only
        AKIM_BAITEREK,
        AKIMAT_ENBEKSHIKAZAKH,
        ("194067100", "194067200"),  # с.Байтерек, с.Алга
        (R_TURGEN, R_ESIK),
        (ESIK,),
        "SPPLSP",
        (6, 13),
        "ordinary: on time, partly supported, one late",
    ),
)

BACKGROUND_START = date(2026, 2, 2)
BACKGROUND_SPAN = 240  # days over which an authority's proposals are filed: February to mid-September


@dataclass(frozen=True)
class BackgroundCase:
    habits: Habits
    n: int  # its position in the authority's pattern
    outcome: str
    filed: date
    place: str
    author: str
    signers: tuple[str, ...]
    topic: Topic
    title: str

    @property
    def people(self) -> tuple[str, ...]:
        return (self.author, *self.signers)


def _place_name(code: str, lang: str) -> str:
    territory = db.session.get(Territory, code)
    return (territory.name_kk if lang == "kk" else territory.name_ru) if territory else code


#: Calendar days a background proposal needs to play out to its end, escalation and all.
BACKGROUND_PLAYS_OUT = 60


def background_cases(today: date | None = None) -> list[BackgroundCase]:
    """The background proposals whose authority, officers and places exist (the built-in territory set
    has fewer than the full classifier), filed long enough before ``today`` to be over by then."""
    latest = (today or services.today()) - timedelta(days=BACKGROUND_PLAYS_OUT)
    emails = set(db.session.scalars(sa.select(User.email).where(User.email.like("%@tyndau.kz"))))
    found: list[BackgroundCase] = []
    for index, habits in enumerate(HABITS):
        places = [p for p in habits.places if db.session.get(Territory, p) is not None]
        people = {habits.officer, habits.above, *habits.authors, *habits.signers}
        if not places or find_authority(habits.authority) is None or not people <= emails:
            continue
        count = len(habits.pattern)
        for n, outcome in enumerate(habits.pattern):
            topic = TOPICS[(index * 5 + n * 3) % len(TOPICS)]
            author = habits.authors[n % len(habits.authors)]
            others = [e for e in habits.signers if e != author]
            signers = tuple(others[: n % 3])
            place = places[n % len(places)]
            filed = add_working_days(BACKGROUND_START + timedelta(days=index * 2 + n * BACKGROUND_SPAN // count), 0)
            if filed > latest:
                continue
            title = f"{topic.title} ({_place_name(place, topic.lang)})"
            found.append(BackgroundCase(habits, n, outcome, filed, place, author, signers, topic, title))
    return found


def _measure(case: Case, topic: Topic, day: date, n: int, unit: str | None) -> tuple[str, str, date]:
    authority = case.authority
    name = authority.name_kk if topic.lang == "kk" else authority.name_ru
    return (topic.measure, f"{name} ({unit})" if unit else name, day + timedelta(days=30 + 9 * (n % 7)))


def _answer_on(item: BackgroundCase, case: Case) -> date:
    low, high = item.habits.pace
    if item.outcome == "Q":
        return wd(case.received_on, 2 + item.n % 3)
    if item.outcome == "L":  # late, but before the sweep carries it up
        return wd(case.due_on, 1 + item.n % 3)
    if item.outcome == "X":  # past the first due date, within the extended one
        return wd(case.due_before_extension, 2 + item.n % 3)
    return wd(case.received_on, min(low + (item.n * 7) % (high - low + 1), 15))


def _rate_all(r: Replay, case: Case, item: BackgroundCase, satisfied: bool) -> None:
    phrases = PHRASES[item.topic.lang]["satisfied" if satisfied else "dissatisfied"]
    for k, email in enumerate(item.people):
        r.rate(case, email, satisfied, phrases[(item.n + k) % len(phrases)])


def _settle(r: Replay, case: Case, item: BackgroundCase) -> None:
    """The participants' ratings of an answer that stays where it is (resolved, at once or when the rating
    window closes)."""
    phrases = PHRASES[item.topic.lang]
    if item.outcome in "QSX":
        _rate_all(r, case, item, True)
    elif item.outcome == "P":  # the author satisfied, a signer not: no majority against
        r.rate(case, item.author, True, phrases["satisfied"][item.n % 4])
        if item.signers:
            r.rate(case, item.signers[-1], False, phrases["dissatisfied"][item.n % 4])
    elif item.outcome == "L":
        r.rate(case, item.author, True, phrases["late_ok"])
    elif item.outcome == "n" and item.n % 2:  # the others leave it unrated
        r.rate(case, item.author, True, phrases["accepted"])


def background_script(item: BackgroundCase) -> Script:
    """One background proposal, played out as its authority's habits say."""

    def script(r: Replay) -> Iterator[date]:
        habits, topic, phrases = item.habits, item.topic, PHRASES[item.topic.lang]
        yield item.filed
        case = r.file(item.author, habits.authority, item.place, item.title, topic.body, signers=item.signers)
        if item.outcome != "O" or item.n % 2:  # some unanswered cases were never even taken up
            yield wd(case.received_on, 1)
            r.take(case, habits.officer)
        if item.outcome == "X":
            yield wd(case.received_on, 2)
            services.extend(
                case, case.due_on + timedelta(days=28), phrases["extension"], r.user(habits.officer), on=r.day
            )
        if item.outcome == "O":
            yield r.escalation_day(case)
        else:
            yield _answer_on(item, case)
            if item.outcome in "Nn":
                r.answer(case, habits.officer, Decision.NOT_SUPPORTED, topic.refusal)
            else:
                partly = item.outcome == "P" or (item.outcome == "L" and item.n % 2 == 0)
                text = (phrases["late"] if item.outcome == "L" else "") + topic.answer
                r.answer(
                    case,
                    habits.officer,
                    Decision.PARTLY if partly else Decision.SUPPORTED,
                    text + (phrases["partly"] if partly else ""),
                    [_measure(case, topic, r.day, item.n, topic.unit)],
                )
            yield wd(r.day, 1 + item.n % 2)
            if item.outcome != "N":
                _settle(r, case, item)
                return
            _rate_all(r, case, item, False)
            yield r.day  # every participant rated: the day's sweep carries it up
        # Escalated (overdue or dissatisfied): the authority above answers, partly, and that settles it.
        upper = r.above(case)
        yield wd(upper.received_on, 1)
        r.take(upper, habits.above)
        yield wd(upper.received_on, 6 + item.n % 5)
        r.answer(
            upper,
            habits.above,
            Decision.PARTLY,
            phrases["above"] + topic.answer + phrases["partly"],
            [_measure(upper, topic, r.day, item.n, None)],
        )
        yield wd(r.day, 1)
        _rate_all(r, upper, item, True)

    script.__name__ = f"background_{item.habits.authority}_{item.n}"
    return script


def create_background_accounts() -> list[User]:
    """The residents and officers of the background whose home or authority exists (shared demo password)."""
    from core.accounts.models import Role
    from core.accounts.services import grant_role, hash_password
    from core.db import utcnow
    from core.seed import DEMO_PASSWORD

    existing = set(
        db.session.scalars(sa.select(User.email).where(User.email.in_([a.email for a in BACKGROUND_ACCOUNTS])))
    )
    password_hash = None
    created = []
    for account in BACKGROUND_ACCOUNTS:
        if account.email in existing:
            continue
        authority = find_authority(account.authority_key) if account.authority_key else None
        if account.authority_key and authority is None:
            continue
        home = account.home if account.home and db.session.get(Territory, account.home) is not None else None
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        user = User(
            email=account.email,
            password_hash=password_hash,
            display_name=account.display_name,
            locale=account.locale,
            home_territory_code=home,
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        if authority is not None:
            grant_role(user, Role.OFFICER, authority)
        created.append(user)
    return created


def _available(story: DemoStory) -> bool:
    """A story needs its places (the full KATO file has them all; the built-in set only some)."""
    for code in story.places:
        if db.session.get(Territory, code) is None:
            return False
    return all(find_authority(key) is not None for key in story.authorities)


def _demo_cases_exist(user_ids) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Case.author_id.in_(user_ids)))) is True


def seed_demo_cases(today: date | None = None) -> dict:
    """Add the demo cases and their background (see the module docstring); returns what was added."""
    users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(DEMO_EMAILS)))}
    missing = sorted(set(DEMO_EMAILS) - set(users))
    if missing:
        return {"cases": 0, "cases_note": f"demo cases not added: accounts missing ({', '.join(missing)})"}
    residents = db.session.scalars(sa.select(User.id).where(User.email.in_(RESIDENTS))).all()
    if _demo_cases_exist([u.id for u in users.values()] + list(residents)):
        return {"cases": 0, "cases_note": "demo cases already there"}
    accounts = create_background_accounts()
    db.session.flush()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    stories = [s for s in STORIES if _available(s)]
    skipped = [s.script.__name__ for s in STORIES if s not in stories]
    today = today or services.today()
    background = background_cases(today)
    queued = len(pending_jobs())
    replay = Replay(today)
    with replay.clock():
        replay.run([s.script for s in stories] + [background_script(item) for item in background])
    db.session.flush()
    del pending_jobs()[queued:]  # replayed history: no mail about it
    added = db.session.scalar(sa.select(sa.func.count()).select_from(Case)) - before
    current_app.logger.info(
        "demo cases: %s stories, %s background proposals, %s cases, %s sweeps",
        len(stories),
        len(background),
        added,
        replay.sweeps,
    )
    return {
        "cases": added,
        "case_stories": len(stories),
        "case_stories_skipped": skipped,
        "background_proposals": len(background),
        "background_accounts": [u.email for u in accounts],
    }
