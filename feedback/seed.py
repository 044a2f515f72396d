"""Demo cases for ``flask seed demo``: the loop at every stage, replayed through the services.

The cases come from the documents (``../shared/DOMAIN.md`` §2.7): drinking water in Karasai district,
road-repair routes in Enbekshikazakh, pastures in Kegen, veterinary rules for livestock sales at Kurban
Ait, playgrounds and cameras in Turgen, the «Кабанды» and «Шибут» dams in Raiymbek, stray animals, waste
management, a cerebral-palsy centre in Talgar, proposals to the National Kurultai — and one proposal that
climbed from the Turgen rural district to the National Kurultai and came back with its outcome.

Nothing is written directly: each case is a short script of service calls at past dates (``on=``). The
scripts run interleaved in date order on a replayed clock (the services' ``today`` and ``utcnow``), with
the sweep run as the hourly job would have run it, so events, deadlines, ratings and statistics are what
they would be had it all happened. Finished stories are fixed in 2026; the open ones are placed a few
working days before today, so a fresh demo always has new, awaiting, extended, answered and overdue cases.

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
        else:  # another step on the same day: a little later
            self.moment = before + timedelta(minutes=37)
        # Today's steps happen before now, never in the future.
        real = datetime.now(UTC) - timedelta(minutes=1)
        if self.moment > real:
            self.moment = max(real, before or real)
        self.day = day

    @contextmanager
    def clock(self) -> Iterator[None]:
        """The services' ``today`` and ``utcnow`` read the replayed clock (the seed is one CLI process)."""
        saved = services.today, services.utcnow
        services.today, services.utcnow = self.current_day, self.now
        try:
            yield
        finally:
            services.today, services.utcnow = saved

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


def _available(story: DemoStory) -> bool:
    """A story needs its places (the full KATO file has them all; the built-in set only some)."""
    for code in story.places:
        if db.session.get(Territory, code) is None:
            return False
    return all(find_authority(key) is not None for key in story.authorities)


def _demo_cases_exist(user_ids) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Case.author_id.in_(user_ids)))) is True


def seed_demo_cases(today: date | None = None) -> dict:
    """Add the demo cases (see the module docstring); returns what was added."""
    users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(DEMO_EMAILS)))}
    missing = sorted(set(DEMO_EMAILS) - set(users))
    if missing:
        return {"cases": 0, "cases_note": f"demo cases not added: accounts missing ({', '.join(missing)})"}
    if _demo_cases_exist([u.id for u in users.values()]):
        return {"cases": 0, "cases_note": "demo cases already there"}
    db.session.flush()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    stories = [s for s in STORIES if _available(s)]
    skipped = [s.script.__name__ for s in STORIES if s not in stories]
    queued = len(pending_jobs())
    replay = Replay(today or services.today())
    with replay.clock():
        replay.run([s.script for s in stories])
    db.session.flush()
    del pending_jobs()[queued:]  # replayed history: no mail about it
    added = db.session.scalar(sa.select(sa.func.count()).select_from(Case)) - before
    current_app.logger.info("demo cases: %s stories, %s cases, %s sweeps", len(stories), added, replay.sweeps)
    return {"cases": added, "case_stories": len(stories), "case_stories_skipped": skipped}
