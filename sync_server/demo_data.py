"""Realistic synthetic populations: surveys and reports as a sync server stores them, and a
loader that puts them into a real server data folder. `sync-server demo` starts with one, so
that every page and indicator of the workspace shows something; the disclosure tests attack
one, knowing the truth behind it.

    population = generate(n_surveys=2000, n_reports=160, devices=3, seed=0)
    load(population, data_dir)          # before the server is served (see `load`)

Each interview is written as the laptop holds it (exact age, ward, full name, phone,
finalized time) and goes through the laptop's own anonymizer (collector.anonymizer), so
the records carry exactly what leaves a laptop: age as a 5-year band, the ward as its
district, dates to the month, names and phones dropped, free text scrubbed.

The structure is that of a field round: three districts of different sizes, each with two
wards, urban and rural; an adult age pyramid; gender with rare categories; disability from
the six Washington Group answers, more common with age; migration status and home language
that depend on the district; discrimination more often reported by minorities and people
with a disability. A team (a laptop and its enumerators) works in one ward a day and syncs
every few days. Each discrimination report is told by a respondent of a survey taken on the
same laptop, the same day, in the same language, mostly by the same enumerator: the links a
disclosure attack looks for (`Population.links`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Population", "generate", "load", "publish_boundaries", "KEY"]

KEY = b"synthetic population pseudonym key"
APP_VERSION = "1.0"
START = dt.date(2025, 3, 3)  # a Monday: the round runs 12 weeks, weekdays only
WEEKS = 12

# Invented outlines of the three districts (named by their codes, as the records name
# them), for the dashboard's map; published with the survey by `publish_boundaries`.
BOUNDARIES = Path(__file__).with_name("demo_boundaries.geojson")
BOUNDARIES_VERSION = "1-demo-map"

# district: (share of interviews, share urban); wards are the form's area choices.
DISTRICTS = {"NR": (0.50, 0.40), "CE": (0.32, 0.85), "SR": (0.18, 0.20)}
WARDS = {"NR": ("NR01", "NR02"), "CE": ("CE01", "CE02"), "SR": ("SR01", "SR02")}
MIGRATION = {
    "NR": {
        "host": 0.56,
        "idp": 0.20,
        "refugee": 0.14,
        "returnee": 0.05,
        "migrant": 0.03,
        "prefer_not": 0.02,
    },
    "CE": {
        "host": 0.76,
        "idp": 0.07,
        "refugee": 0.05,
        "returnee": 0.03,
        "migrant": 0.07,
        "prefer_not": 0.02,
    },
    "SR": {
        "host": 0.44,
        "idp": 0.10,
        "refugee": 0.36,
        "returnee": 0.06,
        "migrant": 0.02,
        "prefer_not": 0.02,
    },
}
HOST_LANGUAGE = {
    "NR": {"swahili": 0.70, "english": 0.14, "somali": 0.10, "other": 0.06},
    "CE": {"english": 0.40, "swahili": 0.40, "french": 0.10, "arabic": 0.05, "other": 0.05},
    "SR": {"swahili": 0.52, "somali": 0.30, "amharic": 0.10, "other": 0.08},
}
NEWCOMER_LANGUAGE = {
    "refugee": {"arabic": 0.34, "somali": 0.28, "amharic": 0.20, "french": 0.10, "other": 0.08},
    "migrant": {"english": 0.30, "french": 0.28, "spanish": 0.18, "hausa": 0.14, "other": 0.10},
}
OTHER_LANGUAGES = (
    "Lingala",
    "Tigrinya",
    "Oromo",
    "Kinyarwanda",
    "Nuer",
    "Dinka",
    "Acholi",
    "Kirundi",
    "Luo",
    "Zande",
)
LOCALE_OF = {"swahili": "sw", "arabic": "ar", "french": "fr", "hausa": "ha", "spanish": "es"}
# (lowest age of the band, weight): an adult pyramid, open above 90.
AGE_PYRAMID = (
    (15, 13),
    (20, 14),
    (25, 13),
    (30, 12),
    (35, 10),
    (40, 9),
    (45, 8),
    (50, 6),
    (55, 5),
    (60, 4),
    (65, 3),
    (70, 1.6),
    (75, 1.0),
    (80, 0.5),
    (85, 0.2),
    (90, 0.08),
)
GENDER = {"woman": 0.508, "man": 0.472, "another": 0.008, "prefer_not": 0.012}
WG_ITEMS = (
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_remembering",
    "wg_selfcare",
    "wg_communicating",
)
WG_WEIGHT = (0.26, 0.14, 0.30, 0.12, 0.08, 0.10)  # which domain a disability most often touches
GROUNDS_BASE = {
    "ethnicity": 3,
    "nationality": 1,
    "religion": 2,
    "language": 1,
    "sex_gender": 2,
    "age": 1.5,
    "disability": 0.5,
    "sexual_orientation": 0.3,
    "political": 1,
    "social_origin": 1.5,
    "income": 3,
    "health": 1,
    "other": 0.8,
}
SETTINGS = {
    "work": 3,
    "job_seeking": 2.5,
    "health_care": 2,
    "school": 1.2,
    "housing": 2,
    "police": 1.5,
    "courts": 0.5,
    "transport": 1.5,
    "shops": 2,
    "public_offices": 2,
    "neighbours": 2.5,
    "online": 0.8,
    "other": 0.5,
}
CHANNELS = (
    "police",
    "local_authority",
    "community_leader",
    "ngo",
    "human_rights",
    "employer",
    "family",
    "other",
)
FIRST_NAMES = (
    "Amina",
    "Grace",
    "Fatuma",
    "Joseph",
    "Mohamed",
    "Achieng",
    "Halima",
    "Peter",
    "Wanjiru",
    "Ibrahim",
    "Mary",
    "Abdi",
    "Zainab",
    "John",
    "Aisha",
    "Samuel",
)
LAST_NAMES = (
    "Otieno",
    "Hassan",
    "Mwangi",
    "Abdullahi",
    "Njeri",
    "Okafor",
    "Bello",
    "Kamau",
    "Yusuf",
    "Achieng",
    "Omondi",
    "Ali",
)


@dataclass
class Population:
    """Records as a sync server stores them: each the anonymizer's sync form plus
    `device_id` and `received_at`. `links` maps a report's uuid to its teller's survey."""

    surveys: list[dict]
    reports: list[dict]
    feedback: list[dict] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)
    seed: int = 0

    @property
    def records(self) -> list[dict]:
        return self.surveys + self.reports + self.feedback


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Generator:
    """One population, drawn from one seeded random stream."""

    def __init__(self, seed: int, devices: int):
        from collector.forms import builtin_forms

        self.rng = random.Random(seed)
        self.forms = builtin_forms()
        self.devices = [_uuid(self.rng) for _ in range(devices)]
        # Four enumerators a laptop; their names become pseudonyms on the way out.
        self.enumerators = {
            device: [
                f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)} {n}-{k}"
                for k in range(4)
            ]
            for n, device in enumerate(self.devices)
        }
        self.days = [
            START + dt.timedelta(days=7 * week + day) for week in range(WEEKS) for day in range(5)
        ]

    # -- the round's schedule ----------------------------------------------------------

    def schedule(self, n_surveys: int) -> list[tuple[str, dt.date, str]]:
        """(device, day, ward) for every interview: a team works in one ward a day."""
        slots = [(device, day) for device in self.devices for day in self.days]
        ward_of = {}
        for slot in slots:
            district = _pick(self.rng, {d: share for d, (share, _) in DISTRICTS.items()})
            ward_of[slot] = self.rng.choice(WARDS[district])
        # Busy and quiet days: a slot's share of the interviews varies threefold.
        weights = [self.rng.uniform(1, 3) for _ in slots]
        chosen = self.rng.choices(slots, weights=weights, k=n_surveys)
        return sorted(
            ((device, day, ward_of[(device, day)]) for device, day in chosen),
            key=lambda item: (item[1], self.devices.index(item[0])),
        )

    @staticmethod
    def sync_time(device_index: int, day: dt.date) -> dt.datetime:
        """When a laptop's records of `day` reach the server: each team syncs on its own
        weekdays (the next one after the day), in the afternoon, in town."""
        sync_days = ((1, 4), (2, 4), (0, 3))[device_index % 3]
        moment = day + dt.timedelta(days=1)
        while moment.weekday() not in sync_days:
            moment += dt.timedelta(days=1)
        return dt.datetime(
            moment.year, moment.month, moment.day, 14 + device_index, 17, tzinfo=dt.UTC
        )

    # -- one interview -----------------------------------------------------------------

    def person(self, ward: str) -> dict:
        """Who is interviewed: background, functioning, language."""
        rng = self.rng
        district = ward[:2]
        low = rng.choices([a for a, _ in AGE_PYRAMID], weights=[w for _, w in AGE_PYRAMID])[0]
        age = low + rng.randrange(5) if low < 90 else rng.randint(90, 97)
        migration = _pick(rng, MIGRATION[district])
        if migration in NEWCOMER_LANGUAGE:
            language = _pick(rng, NEWCOMER_LANGUAGE[migration])
        else:
            language = _pick(rng, HOST_LANGUAGE[district])
        urban_share = DISTRICTS[district][1]
        urban = "urban" if rng.random() < urban_share else "rural"
        return {
            "age": age,
            "gender": _pick(rng, GENDER),
            "migration_status": migration,
            "language_home": language,
            "area": ward,
            "urban_rural": urban,
            **self.functioning(age),
        }

    def functioning(self, age: int) -> dict:
        """The six Washington Group answers; 'a lot' or 'cannot' in one domain or more for
        about one adult in eight, far more often with age."""
        rng = self.rng
        chance = (
            0.06
            if age < 30
            else 0.11
            if age < 45
            else 0.21
            if age < 60
            else 0.40
            if age < 75
            else 0.62
        )
        some = 0.04 + age / 400  # some difficulty: common, and more so with age
        answers = {item: "some" if rng.random() < some else "none" for item in WG_ITEMS}
        if rng.random() < chance:
            domains = rng.choices(WG_ITEMS, weights=WG_WEIGHT, k=rng.choice((1, 1, 1, 2, 3)))
            for item in domains:
                answers[item] = "cannot" if rng.random() < 0.15 else "a_lot"
        return answers

    @staticmethod
    def disabled(answers: dict) -> bool:
        return any(answers[item] in ("a_lot", "cannot") for item in WG_ITEMS)

    def discrimination(self, person: dict) -> dict:
        """Experience of discrimination: ~15% a year, a fifth more among minorities and
        people with a disability; grounds follow who the person is."""
        rng = self.rng
        minority = (
            person["migration_status"] not in ("host", "prefer_not")
            or person["gender"] == "another"
        )
        chance = 0.15 * (1.2 if minority else 1) * (1.2 if self.disabled(person) else 1)
        roll = rng.random()
        if roll < 0.03:
            return {"discriminated": "prefer_not"}
        if roll >= 0.03 + chance:
            return {"discriminated": "no"}
        weights = dict(GROUNDS_BASE)
        if person["migration_status"] in ("refugee", "migrant", "idp"):
            weights.update(nationality=6, language=3.5, ethnicity=4)
        if self.disabled(person):
            weights.update(disability=6, health=2)
        if person["gender"] in ("woman", "another"):
            weights["sex_gender"] = 4 if person["gender"] == "woman" else 7
        if person["gender"] == "another":
            weights["sexual_orientation"] = 5
        if person["age"] >= 60 or person["age"] < 20:
            weights["age"] = 4
        grounds = sorted(
            set(rng.choices(list(weights), list(weights.values()), k=rng.choice((1, 1, 2, 2, 3))))
        )
        settings = sorted(
            set(rng.choices(list(SETTINGS), list(SETTINGS.values()), k=rng.choice((1, 1, 2, 3))))
        )
        told = (
            ["no_one"]
            if rng.random() < 0.6
            else sorted(
                set(
                    rng.choices(
                        [
                            "police",
                            "local_authority",
                            "community_leader",
                            "ngo",
                            "human_rights",
                            "employer",
                            "family",
                            "other",
                        ],
                        [2, 2, 3, 2, 0.5, 1, 4, 0.5],
                        k=rng.choice((1, 2)),
                    )
                )
            )
        )
        answers = {
            "discriminated": "yes",
            "discrimination_grounds": grounds,
            "discrimination_settings": settings,
            "discrimination_frequency": _pick(
                rng, {"once": 4, "a_few": 4, "often": 2, "prefer_not": 0.5}
            ),
            "reported_to": told,
        }
        if told == ["no_one"]:
            answers["not_reported_why"] = sorted(
                set(
                    rng.choices(
                        [
                            "not_serious",
                            "no_effect",
                            "did_not_know",
                            "fear",
                            "legal_status",
                            "too_hard",
                            "language",
                            "dealt_myself",
                            "other",
                            "prefer_not",
                        ],
                        [2, 4, 2, 2, 1, 1, 1, 2, 0.5, 0.5],
                        k=rng.choice((1, 2)),
                    )
                )
            )
        return answers

    def survey_answers(self, person: dict, name: str) -> dict:
        """Every answer of a consenting respondent, as typed on the laptop."""
        rng = self.rng
        disabled = self.disabled(person)
        mood = rng.gauss(0, 1) - (0.6 if disabled else 0)  # wellbeing and trust move together

        def score(top, centre):
            return max(0, min(top, round(centre + mood + rng.gauss(0, 1.3))))

        answers = {
            "consent": "yes",
            **person,
            "respondent_name": name,
            "respondent_phone": f"07{rng.randint(10, 99)} {rng.randint(100, 999)} "
            f"{rng.randint(100, 999)}",
        }
        if person["language_home"] == "other":
            answers["language_home_other"] = rng.choice(OTHER_LANGUAGES)
        answers.update(
            {
                f"who5_{item}": str(score(5, 3))
                for item in ("spirits", "calm", "active", "rested", "interest")
            }
        )
        answers["life_satisfaction"] = score(10, 5.5)
        answers["safety_after_dark"] = _pick(
            rng,
            {
                "very_safe": 2,
                "safe": 4,
                "unsafe": 3,
                "very_unsafe": 1,
                "never_alone": 0.5,
                "prefer_not": 0.3,
            },
        )
        answers["belonging"] = _pick(
            rng, {"very_strongly": 3, "fairly_strongly": 4, "not_very_strongly": 2, "not_at_all": 1}
        )
        for item in (
            "people",
            "fair",
            "helpful",
            "local_authorities",
            "police",
            "courts",
            "health_services",
            "schools",
            "national_government",
            "community_leaders",
            "religious_leaders",
            "humanitarian",
            "host_newcomers",
        ):
            answers[f"trust_{item}"] = score(10, 5)
        agree = {
            "strongly_agree": 2,
            "agree": 4,
            "neither": 2,
            "disagree": 2,
            "strongly_disagree": 1,
        }
        for item in ("visibility", "consideration", "participation", "rights"):
            answers[f"incl_{item}"] = _pick(rng, agree)
        answers["incl_contact"] = _pick(
            rng, {"daily": 4, "weekly": 3, "monthly": 1, "less": 1, "never": 0.5}
        )
        answers["incl_documents"] = _pick(
            rng, {"yes": 6, "partly": 2, "no": 1.5, "prefer_not": 0.3}
        )
        answers["incl_health_access"] = _pick(
            rng, {"yes": 5, "sometimes": 3, "no": 1.5, "not_needed": 1}
        )
        answers["incl_income"] = _pick(rng, {"fully": 1, "mostly": 3, "partly": 4, "not_at_all": 2})
        answers.update(self.discrimination(person))
        if rng.random() < 0.25:
            answers["comments"] = rng.choice(
                (
                    "The water point is far from our block.",
                    f"Please tell {rng.choice(FIRST_NAMES)} at the clinic, call "
                    f"07{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}.",
                    "We need more classes for the children.",
                    f"My name is {name} and I want help with documents.",
                    "Thank you for asking us.",
                )
            )
        return answers

    # -- records -------------------------------------------------------------------------

    def finalized(self, day: dt.date, device_index: int) -> str:
        """A time of day in the field, local morning to afternoon (UTC+3)."""
        minutes = self.rng.randint(5 * 60, 13 * 60)
        return (
            (
                dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
                + dt.timedelta(minutes=minutes)
            )
            .isoformat()
            .replace("+00:00", "Z")
        )

    def stored(
        self, form_id: str, answers: dict, device: str, day: dt.date, enumerator: str, locale: str
    ) -> dict:
        """The record as the server stores it: anonymized on the laptop, then received."""
        from collector.anonymizer import anonymize

        form = self.forms[form_id]
        index = self.devices.index(device)
        raw = {
            "uuid": _uuid(self.rng),
            "revision": 1,
            "form_id": form_id,
            "form_version": form.version,
            "locale": locale,
            "finalized_at": self.finalized(day, index),
            "enumerator": enumerator,
            "answers": answers,
        }
        record = anonymize(raw, form, KEY)
        record["device_id"] = device
        record["received_at"] = self.sync_time(index, day).isoformat().replace("+00:00", "Z")
        return record

    def locale_for(self, language: str) -> str:
        """The interview language: the home language when the laptop has it, often English."""
        own = LOCALE_OF.get(language)
        return own if own and self.rng.random() < 0.8 else "en"

    def surveys(self, n: int) -> list[tuple[dict, dict | None]]:
        """(stored record, the raw person) for each interview; 2% refuse consent (no person)."""
        made: list[tuple[dict, dict | None]] = []
        for device, day, ward in self.schedule(n):
            enumerator = self.rng.choice(self.enumerators[device])
            if self.rng.random() < 0.02:
                record = self.stored(
                    "community_survey",
                    {"consent": "no"},
                    device,
                    day,
                    enumerator,
                    self.rng.choice(("en", "sw")),
                )
                made.append((record, None))
                continue
            person = self.person(ward)
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            answers = self.survey_answers(person, name)
            record = self.stored(
                "community_survey",
                answers,
                device,
                day,
                enumerator,
                self.locale_for(person["language_home"]),
            )
            made.append((record, dict(answers, _enumerator=enumerator, _day=day, _device=device)))
        return made

    def reports(self, n: int, surveys: list[tuple[dict, dict | None]]) -> tuple[list[dict], dict]:
        """Reports told by survey respondents, right after their interview: most by people
        who said they were discriminated against, some by witnesses."""
        told = [(r, p) for r, p in surveys if p and p["discriminated"] == "yes"]
        others = [(r, p) for r, p in surveys if p and p["discriminated"] != "yes"]
        tellers = self.rng.sample(told, min(len(told), round(n * 0.85)))
        tellers += self.rng.sample(others, n - len(tellers))
        reports, links = [], {}
        for survey, person in tellers:
            answers = self.report_answers(person)
            # Mostly the same enumerator writes the report; sometimes a colleague.
            enumerator = (
                person["_enumerator"]
                if self.rng.random() < 0.9
                else self.rng.choice(self.enumerators[person["_device"]])
            )
            record = self.stored(
                "discrimination_report",
                answers,
                person["_device"],
                person["_day"],
                enumerator,
                survey["locale"],
            )
            reports.append(record)
            links[record["uuid"]] = survey["uuid"]
        reports.sort(key=lambda r: (r["collected"], r["device_id"]))
        return reports, links

    def report_answers(self, person: dict) -> dict:
        rng = self.rng
        own = person.get("discrimination_grounds")
        if own:
            grounds = sorted(set(rng.sample(own, rng.randint(1, len(own)))))
            setting = rng.choice(person["discrimination_settings"])
            role = "self" if rng.random() < 0.85 else "enumerator"
        else:
            grounds = sorted(
                set(
                    rng.choices(
                        list(GROUNDS_BASE), list(GROUNDS_BASE.values()), k=rng.choice((1, 2))
                    )
                )
            )
            setting = _pick(rng, SETTINGS)
            role = "witness"
        months_ago = rng.choice((0, 0, 1, 1, 2, 3, 5, 8))
        month = dt.date(person["_day"].year, person["_day"].month, 1)
        for _ in range(months_ago):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        answers = {
            "consent": "yes",
            "reporter_role": role,
            "incident_month": month.isoformat()[:7],
            "incident_area": person["area"]
            if rng.random() < 0.85
            else rng.choice([w for wards in WARDS.values() for w in wards]),
            "incident_grounds": grounds,
            "incident_setting": setting,
            "incident_description": rng.choice(
                (
                    "They refused to serve me because of where I come from.",
                    "The officer shouted at us and would not take our papers.",
                    f"At the market {rng.choice(FIRST_NAMES)} told me to go back home.",
                    "I was not given the job after they heard my accent.",
                    "The landlord said he does not rent to people like us.",
                )
            ),
            "reported_elsewhere": _pick(rng, {"yes": 3, "no": 6, "prefer_not": 1}),
            "wants_referral": "yes" if rng.random() < 0.55 else "no",
        }
        if answers["reported_elsewhere"] == "yes":
            answers["reported_elsewhere_to"] = sorted(set(rng.choices(CHANNELS, k=2)))
        if rng.random() < 0.4:
            answers["reporter_name"] = person["respondent_name"]
            answers["reporter_contact"] = person["respondent_phone"]
        return answers


def generate(
    n_surveys: int = 2000, n_reports: int = 160, devices: int = 3, seed: int = 0
) -> Population:
    """A population of `n_surveys` community surveys and `n_reports` discrimination
    reports from `devices` laptops; the same seed gives the same records."""
    if n_surveys < 1 or devices < 1 or not 0 <= n_reports <= n_surveys:
        raise ValueError(
            "Need at least one survey and one device, and at most one report per survey."
        )
    made = _Generator(seed, devices)
    surveys = made.surveys(n_surveys)
    reports, links = made.reports(n_reports, surveys)
    return Population(
        surveys=[record for record, _ in surveys],
        reports=reports,
        links=links,
        devices=made.devices,
        seed=seed,
    )


# -- into a real server ---------------------------------------------------------------------


@contextlib.contextmanager
def _server_clock(moment: dt.datetime):
    """The server's clock (collector.clock.wall_clock) set to `moment`, as tests set a
    laptop's: records are received when the laptop synced, not when the test runs."""
    from collector import clock

    real = clock.wall_clock
    clock.wall_clock = lambda: moment
    try:
        yield
    finally:
        clock.wall_clock = real


def load(population: Population, data_dir: Path | str, database: str | None = None) -> Path | str:
    """Put the population into the sync server data folder `data_dir` (created if new)
    through the server's own ingest: devices enrolled, one batch per laptop sync, each
    record checked, classified (access class, clock flag) and its indicator facts kept.

    Call it before serving `data_dir` (it sets the server's clock while it runs).
    `database`: a database already in use by a server of `data_dir` (a path, or a PostgreSQL
    URL); by default the data folder's own, made ready here. Returns the database.
    """
    from collector import protocol
    from sync_server import create_app
    from sync_server.ingest import ingest_batch
    from sync_server.store import Store

    # Given a database (the demo's, already made ready), no second app is built for it.
    found = database or create_app(data_dir=Path(data_dir)).config["DATABASE"]
    target: Path | str = found if "://" in str(found) else Path(found)
    store = Store.create(target)
    try:
        _enroll(store, population.devices)
        batches: dict[tuple[str, str], list[dict]] = {}
        for record in population.records:
            batches.setdefault((record["received_at"], record["device_id"]), []).append(record)
        for (received_at, device_id), records in sorted(batches.items()):
            moment = dt.datetime.fromisoformat(received_at.replace("Z", "+00:00"))
            rng = random.Random(f"{population.seed} {received_at} {device_id}")
            device = store.device(device_id)
            assert device is not None  # every device was enrolled above
            for start in range(0, len(records), protocol.MAX_RECORDS_PER_BATCH):
                end = start + protocol.MAX_RECORDS_PER_BATCH
                chunk = [_sync_form(r) for r in records[start:end]]
                message = protocol.batch_message(_uuid(rng), chunk, 0, APP_VERSION)
                with _server_clock(moment):
                    status, answer = ingest_batch(store, device, message, "api")
                stored = [r for r in answer["results"] if r["status"] == protocol.RESULT_STORED]
                if status != 200 or len(stored) != len(chunk):
                    raise RuntimeError(f"ingest refused part of a batch: {answer}")
    finally:
        store.close()
    return target


def publish_boundaries(data_dir: Path | str, database: str | Path) -> None:
    """The built-in survey published again (version BOUNDARIES_VERSION) with the invented
    district outlines, so that the dashboard maps an indicator by area on first start.
    Nothing happens when that version is published already."""
    from collector.forms import SURVEY_FORM, builtin_forms
    from sync_server.forms import publish
    from sync_server.store import Store

    definition = json.loads(builtin_forms()[SURVEY_FORM].to_json())
    definition["version"] = BOUNDARIES_VERSION
    definition["boundaries"] = {"districts.geojson": json.loads(BOUNDARIES.read_text("utf-8"))}
    store = Store.create(database if "://" in str(database) else Path(database))
    try:
        if store.form_definition(SURVEY_FORM, BOUNDARIES_VERSION) is None:
            publish(store, json.dumps(definition), "demo", data_dir=Path(data_dir))
    finally:
        store.close()


# Invented organisations with numbers no phone can ring (555), shown after a report.
DEMO_HELP_CONTACTS = (
    {
        "area": "",
        "name": "Protection helpline (demo)",
        "description": "Free and confidential advice after discrimination or violence.",
        "phone": "+000 555 0100",
        "hours": "Every day, 8:00 to 20:00",
        "languages": ["en", "fr", "sw"],
    },
    {
        "area": "NR",
        "name": "Northern legal aid clinic (demo)",
        "description": "Lawyers who help people report discrimination and follow the case.",
        "phone": "+000 555 0140",
        "hours": "Monday to Friday, 9:00 to 16:00",
        "languages": ["en", "ar"],
    },
    {
        "area": "CE01",
        "name": "Central health centre, counselling desk (demo)",
        "description": "Someone to talk to, and care after an assault.",
        "phone": "+000 555 0177",
        "hours": "Monday to Saturday, 8:00 to 18:00",
        "languages": ["sw", "en"],
    },
)


def add_help_contacts(database: str | Path) -> None:
    """The demo's invented help contacts, once: a demo started again keeps its own list."""
    from sync_server.store import Store

    store = Store.create(database if "://" in str(database) else Path(database))
    try:
        if not store.help_contacts():
            for contact in DEMO_HELP_CONTACTS:
                store.add_help_contact(contact, "demo")
    finally:
        store.close()


def _enroll(store, devices: list[str]) -> None:
    """Each laptop enrolled as `sync-server device add` and `collector enroll` would."""
    from sync_server.enrollment import code_hash

    for number, device_id in enumerate(devices, 1):
        if store.device(device_id) is not None:
            continue
        code = f"POPULATION-{number}"
        token = hashlib.sha256(f"token {device_id}".encode()).hexdigest()
        store.add_enrollment_code(code_hash(code), f"Team {number} laptop", "2999-01-01T00:00:00Z")
        with store.transaction():
            store.enroll_device(
                code_hash(code),
                device_id,
                f"Team {number} laptop",
                hashlib.sha256(token.encode()).hexdigest(),
                str(uuid.UUID(hashlib.md5(device_id.encode()).hexdigest())),
                APP_VERSION,
            )


def _sync_form(record: dict) -> dict:
    """The record as the laptop sends it (without what the server adds)."""
    return {key: value for key, value in record.items() if key not in ("device_id", "received_at")}
