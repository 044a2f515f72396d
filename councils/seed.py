"""Demo councils for ``flask seed demo``: three councils of Almaty region with their members, meetings, votes,
decisions whose recommendations are cases in the loop, minutes, followers and citizens' proposals.

The councils follow the documents (``../shared/DOMAIN.md`` §1.3, §2.1): the public council of the Almaty region
akimat (the region's akim: «не формальная структура, а реально действующий механизм общественного влияния»),
the public council of the Enbekshikazakh district akimat, and the local community gathering of the Turgen rural
district, which performs a public council's functions at the rural level (Law «Об общественных советах», art. 6).
About fifteen members a council, 86 % of them from civil society, some youth; the chair, deputy chair and
secretary of each have demo accounts (the demo password), as have a few other members; a state-body member
sits on each without a vote.

The district council's year so far:

==================  ===========================================================================================
meeting No. 1       held 18 working days ago: the road-repair routes (a report) and drinking-water monitoring;
                    recommendations to the region's akimat (never answered: overdue now) and to the district
                    akimat (taken up and answered partly); minutes published
meeting No. 2       held 3 working days ago: safe playgrounds in the villages of Turgen rural district (roll call,
                    votes given by hand, a member who left early) with recommendations just sent to the Turgen
                    rural akim and the district akimat; a secret ballot electing the council's member of the
                    procurement commission; minutes published
meeting No. 3       in about two and a half weeks, its agenda published today: a case the loop escalated to the
                    council's akimat, the akim's report, and a resident's proposal accepted onto it (another
                    resident's proposal declined with a public reason)
==================  ===========================================================================================

The local community gathering of Turgen rural district has its agenda published too (the bus stop the district
council declined is on it); the regional council shows its composition.

Nothing is written directly: the steps are service calls (``councils.services``, ``meetings``, ``voting``,
``minutes``; the loop's ``assign`` and ``publish_answer``) run on the loop's replayed clock
(``feedback.seed.Replay``), with the loop's sweep run as the hourly job would have, so the recommendations' cases
are opened, answered and overdue as they would be. Dates count back from today. The replayed history is not
news: what it queues (agenda and minutes mail) is dropped. Flushes, never commits; adds nothing when the demo
councils are already there. Runs after the loop's demo (``feedback.seed``), whose accounts and cases it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from core.accounts.models import User
from core.authorities.models import Authority
from core.authorities.services import find_authority
from core.calendar import is_working_day
from core.db import db, pending_jobs
from councils.models import (
    Affiliation,
    Council,
    CouncilKind,
    CouncilMember,
    ItemKind,
    Meeting,
    MeetingFormat,
    Position,
    Proposal,
    Recommendation,
    Vote,
)
from feedback import services as loop
from feedback.models import Case, CaseState, Decision
from feedback.seed import LOCAL, Replay

DEMO_DOMAIN = "demo.tyndau.kz"

# Accounts of core.seed's demo the councils' story uses.
ADMIN = "admin@tyndau.kz"
CITIZEN = "citizen@tyndau.kz"  # Айгерім, Turgen
ESIK = "citizen.esik@tyndau.kz"  # Наталья, Esik
TURGEN = "citizen.turgen@tyndau.kz"  # Ольга Ким, Turgen: a member of the local community gathering
TAUTURGEN = "citizen.tauturgen@tyndau.kz"  # Болат Қасымов, Tauturgen: likewise
AKIMAT_ENBEKSHIKAZAKH = "akimat.enbekshikazakh@tyndau.kz"
CORE_ACCOUNTS = (ADMIN, CITIZEN, ESIK, TURGEN, TAUTURGEN, AKIMAT_ENBEKSHIKAZAKH)

REGION = "akimat:190000000"  # Almaty region akimat
DISTRICT = "akimat:194000000"  # Enbekshikazakh district akimat
RURAL = "akim:194081000"  # the akim of Turgen rural district


@dataclass(frozen=True)
class Seat:
    full_name: str
    position: Position = Position.MEMBER
    organisation: str = ""
    affiliation: Affiliation = Affiliation.CIVIL_SOCIETY
    is_youth: bool = False
    voting_right: bool = True
    #: The member's account: an email of the demo (created here when it does not exist yet).
    email: str | None = None
    locale: str = "ru"


@dataclass(frozen=True)
class CouncilSpec:
    key: str  # a short name for emails and the summary
    authority: str
    kind: CouncilKind
    name_kk: str
    name_ru: str
    name_en: str
    description: str
    seats: tuple[Seat, ...]


def _officers(key: str) -> tuple[str, str, str]:
    return (
        f"council.{key}.chair@{DEMO_DOMAIN}",
        f"council.{key}.deputy@{DEMO_DOMAIN}",
        f"council.{key}.secretary@{DEMO_DOMAIN}",
    )


def _member_email(key: str, n: int) -> str:
    return f"member{n}.{key}@{DEMO_DOMAIN}"


S = Affiliation.STATE_BODY
R_CHAIR, R_DEPUTY, R_SECRETARY = _officers("almaty-region")
D_CHAIR, D_DEPUTY, D_SECRETARY = _officers("enbekshikazakh")
T_CHAIR, T_DEPUTY, T_SECRETARY = _officers("turgen")

REGION_COUNCIL = CouncilSpec(
    "almaty-region",
    REGION,
    CouncilKind.PUBLIC_COUNCIL,
    "Алматы облысы әкімдігі жанындағы қоғамдық кеңес",
    "Общественный совет при акимате Алматинской области",
    "Public council of the Almaty region akimat",
    "Основная задача общественного совета — выражение интересов населения, осуществление общественного контроля "
    "и вовлечение граждан в подготовку социально значимых решений. В области работают 12 общественных советов "
    "и 131 активное сообщество, объединяющее свыше 1400 человек. По предложению совета облегчены ветеринарные "
    "требования к продаже скота в Курбан айт: в республиканскую форму учёта «Төрт түлік» внесены изменения.",
    (
        Seat(
            "Жанат Құдайбергенова",
            Position.CHAIR,
            "Палата предпринимателей Алматинской области",
            email=R_CHAIR,
            locale="kk",
        ),
        Seat("Андрей Ковалёв", Position.DEPUTY_CHAIR, "Ассоциация фермеров Алматинской области", email=R_DEPUTY),
        Seat(
            "Айжан Мұқанова", Position.SECRETARY, "ОО «Жетісу жастары»", is_youth=True, email=R_SECRETARY, locale="kk"
        ),
        Seat(
            "Серік Әбілқасымов", organisation="ОО «Союз животноводов Жетысу»", email=_member_email("almaty-region", 1)
        ),
        Seat("Ләззат Тұрарова", organisation="Ассамблея народа Казахстана, Алматинская область"),
        Seat("Марат Исаев", organisation="Партия «AMANAT», областной филиал"),
        Seat("Елена Ли", organisation="ОО «Корейский культурный центр Алматинской области»"),
        Seat("Нұржан Бейсенов", organisation="ОО «Ардагерлер кеңесі»"),
        Seat(
            "Динара Сейітқали",
            organisation="Молодёжный ресурсный центр Алматинской области",
            is_youth=True,
            email=_member_email("almaty-region", 2),
            locale="kk",
        ),
        Seat("Ғалия Жұмабаева", organisation="ОО «Союз женщин Жетысу»"),
        Seat("Тимур Ибрагимов", organisation="ОФ «Экология Жетысу»"),
        Seat("Гүлшат Оразбекова", organisation="Региональный центр поддержки НПО"),
        Seat("Олжас Мәуленов", organisation="Журналист, газета «Жетісу»"),
        Seat(
            "Ерболат Нұрмағамбетов",
            organisation="Управление внутренней политики Алматинской области",
            affiliation=S,
            voting_right=False,
        ),
        Seat(
            "Сәуле Қасенова",
            organisation="Управление ветеринарии Алматинской области",
            affiliation=S,
            voting_right=False,
        ),
    ),
)

DISTRICT_COUNCIL = CouncilSpec(
    "enbekshikazakh",
    DISTRICT,
    CouncilKind.PUBLIC_COUNCIL,
    "Еңбекшіқазақ ауданы әкімдігі жанындағы қоғамдық кеңес",
    "Общественный совет при акимате Енбекшиказахского района",
    "Public council of the Enbekshikazakh district akimat",
    "Совет рассматривает обращения жителей района, проекты решений акимата, заслушивает отчёты руководителей "
    "отделов и проводит общественный мониторинг: дороги, питьевая вода, безопасность детских площадок.",
    (
        Seat(
            "Қайрат Сыздықов",
            Position.CHAIR,
            "Ассоциация фермеров Енбекшиказахского района",
            email=D_CHAIR,
            locale="kk",
        ),
        Seat("Людмила Ким", Position.DEPUTY_CHAIR, "Попечительский совет школы-гимназии г. Есик", email=D_DEPUTY),
        Seat(
            "Ақмарал Төлеубекова",
            Position.SECRETARY,
            "ОО «Есік жастары»",
            is_youth=True,
            email=D_SECRETARY,
            locale="kk",
        ),
        Seat(
            "Бауыржан Әлімбеков",
            organisation="Палата предпринимателей района",
            email=_member_email("enbekshikazakh", 1),
            locale="kk",
        ),
        Seat(
            "Зарина Абдуллаева",
            organisation="Волонтёрский центр г. Есик",
            is_youth=True,
            email=_member_email("enbekshikazakh", 2),
        ),
        Seat(
            "Нұрлан Серікбаев",
            organisation="Партия «AMANAT», районный филиал",
            email=_member_email("enbekshikazakh", 3),
            locale="kk",
        ),
        Seat(
            "Виталий Цой", organisation="ОО «Ассоциация перевозчиков района»", email=_member_email("enbekshikazakh", 4)
        ),
        Seat("Гаухар Ермекова", organisation="ОО «Союз женщин Енбекшиказахского района»"),
        Seat("Ержан Мұсабеков", organisation="ОО «Союз животноводов района»"),
        Seat("Алия Нұрпейісова", organisation="Врач, Енбекшиказахская центральная районная больница"),
        Seat("Руслан Жақсыбеков", organisation="Молодёжный ресурсный центр района", is_youth=True),
        Seat("Маржан Өтеуова", organisation="Учитель, СШ №2 г. Есик"),
        Seat("Сергей Павленко", organisation="ОО «Есик — наш город»"),
        Seat(
            "Ғабит Ахметов", organisation="Отдел внутренней политики акимата района", affiliation=S, voting_right=False
        ),
        Seat(
            "Индира Сәрсенова",
            organisation="Отдел ЖКХ, пассажирского транспорта и автодорог района",
            affiliation=S,
            voting_right=False,
        ),
    ),
)

RURAL_GATHERING = CouncilSpec(
    "turgen",
    RURAL,
    CouncilKind.LOCAL_COMMUNITY,
    "Түрген ауылдық округінің жергілікті қоғамдастық жиналысы",
    "Собрание местного сообщества Тургенского сельского округа",
    "Local community gathering of the Turgen rural district",
    "На сельском уровне функции общественного совета выполняет местное сообщество (статья 6 Закона «Об "
    "общественных советах»): собрание обсуждает бюджет местного самоуправления, детские площадки, видеонаблюдение "
    "и отчёты акима сельского округа.",
    (
        Seat("Әлібек Тұрғанбаев", Position.CHAIR, "Совет аксакалов с. Тургень", email=T_CHAIR, locale="kk"),
        Seat("Нұргүл Бекова", Position.DEPUTY_CHAIR, "Родительский комитет СШ с. Тургень", email=T_DEPUTY, locale="kk"),
        Seat(
            "Дәулет Сұлтанов", Position.SECRETARY, "Молодёжь с. Тургень", is_youth=True, email=T_SECRETARY, locale="kk"
        ),
        Seat("Ольга Ким", organisation="Жительница с. Тургень", email=TURGEN),
        Seat("Болат Қасымов", organisation="Житель с. Таутургень", email=TAUTURGEN, locale="kk"),
        Seat("Серікжан Әбдіғали", organisation="Крестьянское хозяйство «Түрген»"),
        Seat("Анна Шевченко", organisation="Учитель, СШ с. Тургень"),
        Seat("Ерлан Дүйсенов", organisation="Совет ветеранов сельского округа"),
        Seat("Мадина Қайратқызы", organisation="Волонтёры с. Тургень", is_youth=True),
        Seat("Жандос Омаров", organisation="Гостевой дом, Тургенское ущелье"),
        Seat(
            "Арман Жұмабеков",
            organisation="Аппарат акима Тургенского сельского округа",
            affiliation=S,
            voting_right=False,
        ),
    ),
)

COUNCILS = (REGION_COUNCIL, DISTRICT_COUNCIL, RURAL_GATHERING)

#: A one-page PDF for the materials (the services check the content is what its name says).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


# -- helpers --------------------------------------------------------------------------------------------


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def demo_councils_exist() -> bool:
    names = [spec.name_ru for spec in COUNCILS]
    return db.session.scalar(sa.select(sa.exists().where(Council.name_ru.in_(names)))) is True


def _demo_accounts() -> list[tuple[str, str, str]]:
    """(email, display name, locale) of every member account the councils need."""
    return [(s.email, s.full_name, s.locale) for spec in COUNCILS for s in spec.seats if s.email]


def create_member_accounts(password_hash: str) -> list[str]:
    """The members' accounts (the demo password) that do not exist yet; returns their emails."""
    from core.db import utcnow

    wanted = _demo_accounts()
    existing = set(db.session.scalars(sa.select(User.email).where(User.email.in_([e for e, _n, _l in wanted]))))
    created = []
    for email, name, locale in wanted:
        if email in existing:
            continue
        db.session.add(
            User(
                email=email,
                password_hash=password_hash,
                display_name=name,
                locale=locale,
                email_verified_at=utcnow(),
            )
        )
        created.append(email)
        existing.add(email)
    db.session.flush()
    return created


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A time of day in Kazakhstan, in UTC as stored."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL).astimezone(UTC)


def working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def escalated_case(district: Authority) -> Case | None:
    """A case the loop carried up from the district or one of its rural akims (state escalated), else any
    escalated case, else any case above the first level."""
    below = sa.select(Authority.id).where(sa.or_(Authority.id == district.id, Authority.parent_id == district.id))
    for where in (
        (Case.state == CaseState.ESCALATED, Case.authority_id.in_(below)),
        (Case.state == CaseState.ESCALATED,),
        (Case.level > 0,),
    ):
        found = db.session.scalar(sa.select(Case).where(*where).order_by(Case.id).limit(1))
        if found is not None:
            return found
    return None


# -- the story ------------------------------------------------------------------------------------------


class Story:
    """The councils' year as one replayed script (see the module docstring)."""

    def __init__(self, replay: Replay) -> None:
        self.r = replay
        self.users = {
            u.email: u
            for u in db.session.scalars(sa.select(User).where(User.email.in_([e for e, _n, _l in _demo_accounts()])))
        }
        self.councils: dict[str, Council] = {}
        self.seats: dict[str, list[CouncilMember]] = {}

    def user(self, email: str) -> User:
        return self.users.get(email) or self.r.user(email)

    # councils and members
    def found(self, spec: CouncilSpec, starts: date) -> None:
        from councils import services

        admin = self.r.user(ADMIN)
        council = services.create_council(
            admin,
            find_authority(spec.authority),
            spec.kind,
            spec.name_kk,
            spec.name_ru,
            spec.name_en,
            starts,
            date(starts.year + 3, starts.month, starts.day) - timedelta(days=1),
            spec.description,
        )
        seats = []
        for seat in spec.seats:
            seats.append(
                services.add_member(
                    council,
                    admin,
                    seat.full_name,
                    seat.position,
                    seat.affiliation,
                    starts,
                    organisation=seat.organisation,
                    is_youth=seat.is_youth,
                    voting_right=seat.voting_right,
                    user=self.user(seat.email) if seat.email else None,
                )
            )
        self.councils[spec.key] = council
        self.seats[spec.key] = seats

    # meetings
    def attend(self, meeting: Meeting, secretary: User, absent: set[str]) -> list[CouncilMember]:
        from councils import meetings

        present = []
        for member in self.seats_of(meeting):
            here = member.full_name not in absent
            meetings.set_attendance(meeting, secretary, member, here)
            if here:
                present.append(member)
        return present

    def seats_of(self, meeting: Meeting) -> list[CouncilMember]:
        return next(seats for key, seats in self.seats.items() if self.councils[key].id == meeting.council_id)

    def vote(self, item, secretary: User, choices: dict[str, str], default: str = "for") -> Vote:
        """Open a vote, every present member with a vote votes (from their account, else by hand), close it."""
        from councils import meetings, voting

        meeting = item.meeting
        ballot = voting.open_vote(item, secretary)
        for member in meetings.present_members(meeting):
            if not member.voting_right:
                continue
            choice = choices.get(member.full_name, default)
            if member.user_id is not None:
                voting.cast(ballot, self.user(member.user.email), choice)
            else:
                voting.record_by_hand(ballot, secretary, member, choice)
        return voting.close_vote(ballot, secretary)

    def publish_minutes(self, meeting: Meeting, secretary: User) -> None:
        from councils import minutes

        draft = minutes.minutes_for(meeting, secretary)
        minutes.approve_minutes(draft, secretary)
        minutes.publish_minutes(draft, secretary)

    def script(self, r: Replay) -> Iterator[date]:
        from councils import meetings, services, voting

        today = r.today
        starts = date(today.year - 1, 2, 1)
        first_day = r.ago(34)
        yield first_day
        for spec in COUNCILS:
            self.found(spec, starts)
        district_council = self.councils["enbekshikazakh"]
        secretary = self.user(D_SECRETARY)
        services.follow(district_council, r.user(CITIZEN))
        services.follow(district_council, r.user(ESIK))
        services.follow(self.councils["almaty-region"], r.user(CITIZEN))
        services.follow(self.councils["turgen"], r.user(CITIZEN))
        district = find_authority(DISTRICT)
        region = find_authority(REGION)
        rural = find_authority(RURAL)

        # Meeting No. 1: the road-repair routes.
        first = meetings.plan_meeting(
            district_council,
            secretary,
            local(r.ago(18), 9),
            MeetingFormat.IN_PERSON,
            place="г. Есик, здание акимата Енбекшиказахского района, актовый зал",
        )
        roads = meetings.add_item(
            first,
            secretary,
            ItemKind.REPORT,
            "Маршруты ремонта дорог района в текущем году",
            "Отчёт отдела ЖКХ, пассажирского транспорта и автодорог: какие дороги и улицы района ремонтируются в "
            "этом сезоне, в каком порядке и кем. Жители Есика и Тургеня просят включить участок Есик – Тургень.",
            rapporteur="Индира Сәрсенова, руководитель отдела ЖКХ, пассажирского транспорта и автодорог",
        )
        meetings.add_material(roads, secretary, "marshruty-remonta-dorog.pdf", PDF)
        water = meetings.add_item(
            first,
            secretary,
            ItemKind.MONITORING,
            "Итоги общественного мониторинга качества питьевой воды в сёлах района",
            "Члены совета с жителями проверили подачу и качество питьевой воды в шести сёлах района.",
            rapporteur="Ержан Мұсабеков, член общественного совета",
        )
        yield r.ago(32)
        meetings.publish_agenda(first, secretary)

        yield r.ago(18)
        meetings.start_meeting(first, secretary)
        self.attend(first, secretary, absent={"Сергей Павленко"})
        yield r.ago(18)
        self.vote(roads, secretary, {"Виталий Цой": "abstain", "Гаухар Ермекова": "against"})
        to_region, to_district = voting.record_decision(
            roads,
            secretary,
            "Принять к сведению отчёт отдела. Маршруты ремонта публиковать заранее, с графиком и подрядчиками; "
            "участок Есик – Тургень отремонтировать в первую очередь.",
            [
                (
                    region,
                    "Включить средний ремонт автодороги Есик – Тургень (12 км) в областную программу ремонта "
                    "автомобильных дорог на следующий год и сообщить совету сроки.",
                ),
                (
                    district,
                    "Публиковать на сайте акимата перечень дорог и улиц района, ремонтируемых в сезоне, с графиком "
                    "работ и подрядчиками, до начала работ.",
                ),
            ],
        )
        self.vote(water, secretary, {})
        voting.record_decision(
            water,
            secretary,
            "Итоги мониторинга принять к сведению и направить в отдел ЖКХ района; повторить мониторинг летом.",
        )
        meetings.end_meeting(first, secretary)
        yield r.ago(16)
        r.take(to_district.case, AKIMAT_ENBEKSHIKAZAKH)
        self.publish_minutes(first, secretary)

        # Meeting No. 2: safe playgrounds in the villages of Turgen rural district.
        yield r.ago(15)
        second = meetings.plan_meeting(
            district_council,
            secretary,
            local(r.ago(3), 9),
            MeetingFormat.HYBRID,
            place="г. Есик, здание акимата Енбекшиказахского района, актовый зал",
            online_url="https://meet.example.kz/enbekshikazakh-public-council",
        )
        playgrounds = meetings.add_item(
            second,
            secretary,
            ItemKind.MONITORING,
            "Безопасность детских площадок в сёлах Тургенского сельского округа",
            "Члены совета и родители осмотрели детские площадки в Тургене и Таутургене: у двух нет ограждения от "
            "дороги, покрытие одной повреждено.",
            rapporteur="Зарина Абдуллаева, член общественного совета",
        )
        election = meetings.add_item(
            second,
            secretary,
            ItemKind.OTHER,
            "Избрание представителя совета в комиссию по государственным закупкам акимата района",
            "Кандидат: Бауыржан Әлімбеков.",
            secret_ballot=True,
        )
        yield r.ago(14)
        meetings.publish_agenda(second, secretary)

        yield r.ago(8)
        r.answer(
            to_district.case,
            AKIMAT_ENBEKSHIKAZAKH,
            Decision.PARTLY,
            "Перечень дорог и улиц района, ремонтируемых в сезоне, с графиком работ будет опубликован на сайте "
            "акимата. Подрядчиков определяют конкурсы на портале госзакупок: ссылки на договоры добавим в перечень "
            "после их заключения.",
            [
                (
                    "Опубликовать перечень и график ремонта дорог и улиц района на сайте акимата",
                    "Отдел ЖКХ, пассажирского транспорта и автодорог Енбекшиказахского района",
                    r.day + timedelta(days=30),
                )
            ],
        )

        # Meeting No. 3 is planned: in about two and a half weeks.
        yield r.ago(4)
        third = meetings.plan_meeting(
            district_council,
            secretary,
            local(working_day_on_or_after(today + timedelta(days=17)), 15),
            MeetingFormat.IN_PERSON,
            place="г. Есик, здание акимата Енбекшиказахского района, актовый зал",
        )
        case = escalated_case(district)
        if case is not None:
            meetings.add_item(
                third,
                secretary,
                ItemKind.CASE,
                case.title[:300],
                "Обращение жителей не получило ответа по существу и поднялось на уровень выше: совет рассмотрит, "
                "что акимат района может сделать сам.",
                rapporteur="Қайрат Сыздықов, председатель общественного совета",
                case=case,
            )
        report = meetings.add_item(
            third,
            secretary,
            ItemKind.REPORT,
            "Отчёт акима района об исполнении рекомендаций общественного совета",
            "Какие рекомендации совета выполнены, какие нет и почему.",
            rapporteur="Аким Енбекшиказахского района",
        )
        meetings.add_material(report, secretary, "otchet-ob-ispolnenii-rekomendaciy.pdf", PDF)
        yield r.ago(3)
        meetings.start_meeting(second, secretary)
        self.attend(second, secretary, absent={"Алия Нұрпейісова", "Ғабит Ахметов"})
        yield r.ago(3)
        self.vote(playgrounds, secretary, {"Сергей Павленко": "abstain"})
        voting.record_decision(
            playgrounds,
            secretary,
            "Признать состояние двух площадок небезопасным; рекомендовать акиму сельского округа и акимату района "
            "устранить нарушения до начала летних каникул.",
            [
                (
                    rural,
                    "Установить ограждение детских площадок у дороги в сёлах Тургень и Таутургень и заменить "
                    "повреждённое покрытие; сообщить совету о сроках.",
                ),
                (
                    district,
                    "Предусмотреть в бюджете района на следующий год средства на безопасное покрытие и ограждение "
                    "детских площадок в сёлах.",
                ),
            ],
        )
        meetings.mark_left(
            second, secretary, next(m for m in self.seats["enbekshikazakh"] if m.full_name == "Маржан Өтеуова")
        )
        self.vote(election, secretary, {"Бауыржан Әлімбеков": "abstain", "Виталий Цой": "against"})
        voting.record_decision(
            election, secretary, "Избрать Бауыржана Әлімбекова представителем совета в комиссии по госзакупкам."
        )
        meetings.end_meeting(second, secretary)
        # Residents propose items for the next meeting.
        lights = meetings.propose_item(
            district_council,
            r.user(ESIK),
            "Освещение улиц микрорайона «Саркырама» в Есике",
            "На улицах микрорайона с осени не горят фонари, дети идут в школу в темноте. Просим совет заслушать "
            "отдел ЖКХ о сроках восстановления освещения.",
        )
        bus = meetings.propose_item(
            district_council,
            r.user(CITIZEN),
            "Автобусная остановка у школы в Тургене",
            "Остановка у школы разрушена, дети ждут автобус на обочине. Прошу совет рассмотреть вопрос.",
        )
        yield r.ago(2)
        self.publish_minutes(second, secretary)

        yield r.ago(1)
        meetings.accept_proposal(lights, secretary, third)
        meetings.decline_proposal(
            bus,
            secretary,
            "Остановка у школы в Тургене — вопрос сельского округа: предлагаем внести его на собрание местного "
            "сообщества Тургенского сельского округа, которое рассмотрит его в ближайшее время.",
        )
        # The local community gathering takes up the bus stop the district council declined.
        gathering_secretary = self.user(T_SECRETARY)
        gathering = meetings.plan_meeting(
            self.councils["turgen"],
            gathering_secretary,
            local(working_day_on_or_after(today + timedelta(days=14)), 18),
            MeetingFormat.IN_PERSON,
            place="с. Тургень, Дом культуры",
        )
        meetings.add_item(
            gathering,
            gathering_secretary,
            ItemKind.OTHER,
            "Автобусная остановка у школы в Тургене",
            "Остановка у школы разрушена, дети ждут автобус на обочине (вопрос передан общественным советом района).",
            rapporteur="Аким Тургенского сельского округа",
        )
        meetings.add_item(
            gathering,
            gathering_secretary,
            ItemKind.REPORT,
            "Отчёт акима сельского округа об исполнении бюджета местного самоуправления",
            rapporteur="Аким Тургенского сельского округа",
        )
        yield r.ago(0)
        meetings.publish_agenda(third, secretary)
        meetings.publish_agenda(gathering, gathering_secretary)


def seed_demo_councils(today: date | None = None) -> dict:
    """Add the demo councils (see the module docstring); returns what was added."""
    present = set(db.session.scalars(sa.select(User.email).where(User.email.in_(CORE_ACCOUNTS))))
    missing = sorted(set(CORE_ACCOUNTS) - present)
    if missing:
        return {"councils": 0, "councils_note": f"demo councils not added: accounts missing ({', '.join(missing)})"}
    absent = [spec.authority for spec in COUNCILS if find_authority(spec.authority) is None]
    if absent:
        return {"councils": 0, "councils_note": f"demo councils not added: authorities missing ({', '.join(absent)})"}
    if demo_councils_exist():
        return {"councils": 0, "councils_note": "demo councils already there"}
    from core.accounts.services import hash_password
    from core.seed import DEMO_PASSWORD

    accounts = create_member_accounts(hash_password(DEMO_PASSWORD))
    models = (Council, CouncilMember, Meeting, Vote, Recommendation, Proposal)
    before = {m: _count(m) for m in models}
    today = today or loop.today()
    replay = Replay(today)
    story = Story(replay)
    queued = len(pending_jobs())
    with replay.clock():
        replay.run([story.script])
    db.session.flush()
    del pending_jobs()[queued:]  # replayed history: no mail about it
    added = {m: _count(m) - before[m] for m in models}
    return {
        "councils": added[Council],
        "council_members": added[CouncilMember],
        "council_meetings": added[Meeting],
        "council_votes": added[Vote],
        "council_recommendations": added[Recommendation],
        "council_proposals": added[Proposal],
        "council_accounts": accounts,
    }
