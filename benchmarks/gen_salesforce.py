"""Write a synthetic Salesforce export: the files and columns the Salesforce layout reads.

.venv/bin/python benchmarks/gen_salesforce.py --out /tmp/sf --reps 1000 \
    --opportunities 1000000 --history 5000000 --activities 10000000

Files: User.csv, Account.csv, Opportunity.csv, OpportunityHistory.csv, Task.csv
and Event.csv, as the Data Export service writes them (UTF-8, comma, every
field quoted, ISO dates, 18-character ids with valid case-safe suffixes).

The output is a function of the arguments and --seed only. Rows are written
as they are made; what is kept in memory is a few pools of strings and, per
deal, its owner, account and dates in compact arrays (about 10 bytes a deal),
so memory does not grow with history or activities.

Import the result with the as-of date it prints:

    coachbook import salesforce /tmp/sf --as-of 2025-06-30
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from array import array
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2025, 6, 30)

# Salesforce ids --------------------------------------------------------------
# 3-character key prefix, 2-character pod, then a base-62 counter, then the
# 3-character case-safe suffix (one character per 5, bit i set when character
# i of the chunk is an upper-case letter).

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
POD = "5g"
PREFIXES = {
    "user": "005",
    "account": "001",
    "opportunity": "006",
    "history": "008",
    "task": "00T",
    "event": "00U",
}


def _mask(text: str) -> int:
    bits = 0
    for i, ch in enumerate(text):
        if "A" <= ch <= "Z":
            bits |= 1 << i
    return bits


def id_suffix(id15: str) -> str:
    """Salesforce's case-safe suffix of a 15-character id (as coachbook.lib.fields)."""
    return "".join(SUFFIX_CHARS[_mask(id15[i : i + 5])] for i in (0, 5, 10))


_PAIRS = [a + b for a in BASE62 for b in BASE62]
_PAIR_MASKS = [_mask(p) for p in _PAIRS]
_TRIPLES: list[str] = []
_TRIPLE_MASKS: list[int] = []
_LOW = 62**5  # the last five counter characters form the third chunk
_THIRD = 62**3


def _tables() -> None:
    """The 238,328 three-character strings and their masks, built on first use."""
    if not _TRIPLES:
        _TRIPLES.extend(p + c for p in _PAIRS for c in BASE62)
        # In an id the pair is characters 10-11 (bits 0-1 of the last
        # chunk) and the triple characters 12-14 (bits 2-4).
        _TRIPLE_MASKS.extend(_mask(t) << 2 for t in _TRIPLES)


def _base62(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, d = divmod(n, 62)
        digits.append(BASE62[d])
    return "".join(reversed(digits))


def id_maker(obj: str, base: int = 0):
    """A function from a record number (0, 1, …) to that object's 18-character id.

    The id is the key prefix, the pod, "0", then the number plus `base` in
    nine base-62 digits. Below 62**5 the middle chunk is "00000" and only the
    last chunk's suffix character varies, read from the precomputed masks.
    """
    _tables()
    head = PREFIXES[obj] + POD
    first = SUFFIX_CHARS[_mask(head)]
    fixed = head + "00000"
    ends = [first + "A" + ch for ch in SUFFIX_CHARS]
    pairs, pair_masks = _PAIRS, _PAIR_MASKS
    triples, triple_masks = _TRIPLES, _TRIPLE_MASKS

    def make(n: int) -> str:
        n += base
        if n >= _LOW:
            return _slow_id(head, n)
        a, b = divmod(n, _THIRD)
        return fixed + pairs[a] + triples[b] + ends[pair_masks[a] | triple_masks[b]]

    return make


def _slow_id(head: str, n: int) -> str:
    id15 = head + "0" + _base62(n, 9)
    return id15 + id_suffix(id15)


# Pools -----------------------------------------------------------------------

FIRST_NAMES = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth
William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Chris Nancy
Daniel Lisa Matthew Betty Anthony Sandra Mark Ashley Donald Kimberly Steven Emily Paul
Donna Andrew Michelle Joshua Carol Kenneth Amanda Kevin Melissa Brian Deborah George
Stephanie Timothy Rebecca José Zoë Søren Łukasz Ana Françoise Jürgen Aoife Priya
Wei Kenji Fatima Olu""".split()
LAST_NAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez
Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright
Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
Carter Roberts Müller Østergaard Nowak O'Brien Dubois Schäfer Kowalski Tanaka Patel
Okafor Ng""".split()
ZONES = [
    "America/New_York",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Asia/Singapore",
    "Australia/Sydney",
]
COMPANY_A = """Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent
Hooli Vandelay Massive Dynamic Aperture Oscorp Gringotts Monarch Nakatomi Virtucon
Northwind Contoso Fabrikam Tailspin Adventure Litware Proseware Wingtip Fourth Blue
Silver Golden Pacific Atlantic Summit Pioneer Keystone Evergreen Redwood Café Zürich
Ångström Sørensen""".split()
COMPANY_B = """Systems Industries Labs Logistics Foods Health Energy Capital Analytics
Robotics Materials Pharma Media Networks Software Foods Holdings Partners Motors
Aerospace Retail Telecom Bank Insurance Brewing Textiles Mining Shipping Studios""".split()
COMPANY_C = ["Inc.", "LLC", "Ltd", "GmbH", "S.A.", "Corp.", "Group", "plc", "AG", "Co."]
INDUSTRIES = """Agriculture Apparel Banking Biotechnology Chemicals Communications
Construction Consulting Education Electronics Energy Engineering Entertainment
Environmental Finance Government Healthcare Hospitality Insurance Machinery
Manufacturing Media Not For Profit Recreation Retail Shipping Technology
Telecommunications Transportation Utilities""".split()
PRODUCTS = [
    "Platform Expansion",
    "New Logo",
    "Renewal",
    "Upsell - Analytics",
    "Pilot",
    "Enterprise Licence",
    "Professional Services",
    "Add-on Seats",
    "Migration",
    "Support Upgrade",
    'Q3 "Big Bet"',
    "Multi-year, 3 seats",
]
NEXT_STEPS = [
    "",
    "",
    "",
    "Send proposal",
    "Schedule demo",
    "Follow up with CFO",
    "Security review",
    "Legal redlines",
    "Call back next week",
    "Pricing approval, then send order form",
    "Waiting on procurement",
    "Intro to champion's boss",
]

# The standard Salesforce stage picklist with its default probabilities.
OPEN_STAGES = [
    ("Prospecting", "10"),
    ("Qualification", "10"),
    ("Needs Analysis", "20"),
    ("Value Proposition", "50"),
    ("Id. Decision Makers", "60"),
    ("Perception Analysis", "70"),
    ("Proposal/Price Quote", "75"),
    ("Negotiation/Review", "90"),
]
WON = ("Closed Won", "100")
LOST = ("Closed Lost", "0")
# Where open deals sit, and the stage lost deals were lost from.
OPEN_WEIGHTS = [25, 18, 14, 12, 9, 8, 8, 6]
LOST_WEIGHTS = [20, 22, 16, 12, 9, 8, 8, 5]

TASK_KINDS = [  # (Type, TaskSubtype, Subject), weighted by repetition
    *[("Call", "Call", "Call")] * 6,
    *[("Call", "Call", "Discovery call")] * 3,
    *[("Email", "Email", "Email: Follow-up")] * 5,
    *[("Email", "Email", "Email: Proposal sent")] * 2,
    *[("", "Email", "Email: Re: pricing")] * 2,
    *[("", "Task", "Send pricing")] * 2,
    *[("Other", "Task", "Update CPQ quote")] * 1,
    *[("", "Task", "Prepare QBR deck")] * 1,
    *[("Meeting", "Task", "Meeting notes")] * 1,
    *[("To Do", "Task", "Chase signature")] * 1,
]
EVENT_KINDS = [  # (Type, EventSubtype, Subject)
    *[("Meeting", "Event", "Discovery meeting")] * 4,
    *[("Meeting", "Event", "Product demo")] * 4,
    *[("", "Event", "QBR")] * 2,
    *[("Call", "Event", "Scheduled call")] * 3,
    *[("", "Event", "Lunch with champion")] * 1,
    *[("Email", "Event", "Email sequence step")] * 1,
]
DURATIONS = [15, 30, 30, 30, 45, 60, 60, 60, 90, 120]

USER_HEADER = [
    "Id",
    "Username",
    "Name",
    "FirstName",
    "LastName",
    "Email",
    "ManagerId",
    "IsActive",
    "TimeZoneSidKey",
    "Title",
]
ACCOUNT_HEADER = [
    "Id",
    "Name",
    "Type",
    "Industry",
    "ParentId",
    "NumberOfEmployees",
    "BillingCountry",
    "OwnerId",
]
OPPORTUNITY_HEADER = [
    "Id",
    "Name",
    "AccountId",
    "OwnerId",
    "StageName",
    "Amount",
    "Probability",
    "CloseDate",
    "NextStep",
    "CreatedDate",
    "IsClosed",
    "IsWon",
    "ForecastCategoryName",
]
HISTORY_HEADER = [
    "Id",
    "OpportunityId",
    "StageName",
    "Amount",
    "ExpectedRevenue",
    "CloseDate",
    "Probability",
    "ForecastCategory",
    "CreatedDate",
]
TASK_HEADER = [
    "Id",
    "OwnerId",
    "WhatId",
    "AccountId",
    "Subject",
    "Type",
    "TaskSubtype",
    "Status",
    "Priority",
    "ActivityDate",
    "CreatedDate",
]
EVENT_HEADER = [
    "Id",
    "OwnerId",
    "WhatId",
    "AccountId",
    "Subject",
    "Type",
    "EventSubtype",
    "ActivityDateTime",
    "ActivityDate",
    "DurationInMinutes",
    "EndDateTime",
]
FILES = {
    "user": "User.csv",
    "account": "Account.csv",
    "opportunity": "Opportunity.csv",
    "history": "OpportunityHistory.csv",
    "task": "Task.csv",
    "event": "Event.csv",
}


def _weighted(rng: random.Random, items: list, weights: list[int], size: int) -> list:
    """A pool to index with int(random() * len(pool)): fast weighted choice."""
    return rng.choices(items, weights=weights, k=size)


def _q(text: str) -> str:
    """A value as it goes between the quotes of a CSV field."""
    return text.replace('"', '""')


def _line(values) -> str:
    return '"' + '","'.join(_q(str(v)) for v in values) + '"\n'


class _Rows:
    """One CSV file, every field quoted, written 8,192 lines at a time.

    The hot loops format each line with an f-string from values that need no
    escaping (ids, dates, numbers) or were escaped once in their pool: several
    times faster than csv.writer, and the file is the same.
    """

    def __init__(self, path: Path, header: list[str]) -> None:
        self.handle = open(path, "w", encoding="utf-8", newline="")
        self.lines: list[str] = []
        self.add = self.lines.append
        self.handle.write(_line(header))

    def flush(self) -> None:
        self.handle.write("".join(self.lines))
        self.lines.clear()

    def close(self) -> None:
        self.flush()
        self.handle.close()


def generate(
    out: Path,
    *,
    reps: int = 100,
    opportunities: int = 20_000,
    history: int = 100_000,
    activities: int = 200_000,
    accounts: int | None = None,
    seed: int = 1,
    as_of: date = AS_OF,
    task_share: float = 0.6,
    log=None,
) -> dict[str, int]:
    """Write the six files into `out`; the number of data rows per file name."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rnd = rng.random
    say = log or (lambda message: None)
    n_acc = accounts if accounts is not None else max(10, opportunities // 10)
    counts: dict[str, int] = {}

    # Days are numbered from `origin`. Close dates fall in the two years
    # [420, 1150), three quarters of them before the as-of day (960); created
    # dates go back up to a year before that.
    origin = as_of - timedelta(days=960)
    today = 960
    day_text = [(origin + timedelta(days=d)).isoformat() for d in range(1300)]
    times = [
        f"T{h:02d}:{m:02d}:{s:02d}.000Z"
        for h in range(24)
        for m in range(60)
        for s in range(60)
    ]
    bases = {obj: rng.randrange(62**4, 62**5 // 2) for obj in PREFIXES}
    ids = {obj: id_maker(obj, bases[obj]) for obj in PREFIXES}

    # Users: reps, one manager per 8 reps, one director per 8 managers.
    n_mgr = max(1, -(-reps // 8))
    n_dir = max(1, -(-n_mgr // 8))
    user_id = ids["user"]
    rep_ids = []
    handle = open(out / FILES["user"], "w", encoding="utf-8", newline="")
    writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(USER_HEADER)
    names = len(FIRST_NAMES) * len(LAST_NAMES)
    shuffle = rng.sample(range(names), min(names, reps + n_mgr + n_dir))
    for n in range(reps + n_mgr + n_dir):
        if n < n_dir:
            manager, title = "", "Regional Director"
        elif n < n_dir + n_mgr:
            manager, title = user_id((n - n_dir) // 8), "Sales Manager"
        else:
            manager = user_id(n_dir + (n - n_dir - n_mgr) // 8)
            title = "Account Executive"
        k = shuffle[n % len(shuffle)]
        first = FIRST_NAMES[k % len(FIRST_NAMES)]
        last = LAST_NAMES[k // len(FIRST_NAMES)]
        if n >= len(shuffle):
            last = f"{last} {n // len(shuffle) + 1}"
        login = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        email = f"{login}{n}@example.com"
        writer.writerow(
            [
                user_id(n),
                email,
                f"{first} {last}",
                first,
                last,
                email,
                manager,
                "false" if rnd() < 0.04 else "true",
                ZONES[int(rnd() * len(ZONES))],
                title,
            ]
        )
        if n >= n_dir + n_mgr:
            rep_ids.append(user_id(n))
    handle.close()
    counts["user"] = reps + n_mgr + n_dir
    say(f"User.csv: {counts['user']:,} rows")

    # Accounts.
    account_id = ids["account"]
    names_pool = [
        f"{a} {b} {c}" for a in COMPANY_A for b in COMPANY_B for c in COMPANY_C
    ]
    rng.shuffle(names_pool)
    countries = ["US", "US", "US", "United Kingdom", "Germany", "France", "Canada"]
    countries += ["Australia", "Japan", "Brazil", "Österreich"]
    handle = open(out / FILES["account"], "w", encoding="utf-8", newline="")
    writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(ACCOUNT_HEADER)
    for n in range(n_acc):
        name = names_pool[n % len(names_pool)]
        if n >= len(names_pool):
            name = f"{name} ({n // len(names_pool) + 1})"
        parent = account_id(int(rnd() * n)) if n > 20 and rnd() < 0.05 else ""
        writer.writerow(
            [
                account_id(n),
                name,
                "Customer" if rnd() < 0.6 else "Prospect",
                INDUSTRIES[int(rnd() * len(INDUSTRIES))],
                parent,
                str(int(10 ** (1 + rnd() * 4.5))) if rnd() < 0.9 else "",
                countries[int(rnd() * len(countries))],
                rep_ids[int(rnd() * len(rep_ids))],
            ]
        )
    handle.close()
    counts["account"] = n_acc
    say(f"Account.csv: {n_acc:,} rows")

    # Deals and their history, written together in one pass. Per deal, its
    # owner, account and working days are kept for the activities.
    opp_id, hist_id = ids["opportunity"], ids["history"]
    deal_owner = array("H")
    deal_account = array("I")
    deal_first = array("H")  # first day the deal was worked: created
    deal_days = array("H")  # days it was worked: up to its close or the as-of day
    amounts = [f"{round(rng.lognormvariate(10.2, 1.0), -2):.2f}" for _ in range(4096)]
    amounts = [a if a != "0.00" else "500.00" for a in amounts]
    open_pool = _weighted(rng, list(range(8)), OPEN_WEIGHTS, 4096)
    lost_pool = _weighted(rng, list(range(8)), LOST_WEIGHTS, 4096)
    durations = [7 + int(rng.random() ** 2 * 360) for _ in range(4096)]
    pushes = [0, 0, 0, 0, 7, 14, 30, 45, 90]
    forecast = dict(
        zip(
            [name for name, _ in OPEN_STAGES],
            ["Pipeline"] * 4 + ["Best Case"] * 3 + ["Commit"],
            strict=True,
        )
    )
    forecast.update({WON[0]: "Closed", LOST[0]: "Omitted"})
    deal_names = [_q(n) for n in names_pool]
    products = [_q(p) for p in PRODUCTS]
    next_steps = [_q(p) for p in NEXT_STEPS]

    def paths(finals: list[int], closing: tuple[str, str] | None) -> list[list]:
        """16 stage paths ending at each open stage index, some stages skipped.

        A path step is (stage, probability, forecast category).
        """
        made = []
        for final in finals:
            variants = []
            for _ in range(16):
                path = [
                    OPEN_STAGES[i]
                    for i in range(final + 1)
                    if i in (0, final) or rng.random() > 0.3
                ]
                if closing:
                    path.append(closing)
                variants.append([(s, p, forecast[s]) for s, p in path])
            made.append(variants)
        return made

    open_paths = paths(list(range(8)), None)
    won_paths = paths([7], WON)[0]
    lost_paths = paths(list(range(8)), LOST)
    won_name = WON[0]

    opp_file = _Rows(out / FILES["opportunity"], OPPORTUNITY_HEADER)
    hist_file = _Rows(out / FILES["history"], HISTORY_HEADER)
    add_opp, add_hist, opp_lines = opp_file.add, hist_file.add, opp_file.lines
    n_reps = len(rep_ids)
    n_names = len(names_pool)
    n_hist = 0
    for n in range(opportunities):
        close = 420 + int(rnd() * 730)
        created = close - durations[int(rnd() * 4096)]
        if close < today and rnd() < 0.88:
            if rnd() < 0.38:
                path = won_paths[int(rnd() * 16)]
            else:
                path = lost_paths[lost_pool[int(rnd() * 4096)]][int(rnd() * 16)]
            last = close
            closed = "true"
        else:
            path = open_paths[open_pool[int(rnd() * 4096)]][int(rnd() * 16)]
            last = today
            closed = "false"
        if created >= last:
            created = last - 1
        owner = int(rnd() * n_reps)
        acct = int(rnd() * n_acc)
        deal_owner.append(owner)
        deal_account.append(acct)
        deal_first.append(created)
        deal_days.append(last - created + 1)
        stage, probability, category = path[-1]
        amount_at = int(rnd() * 4096)
        oid = opp_id(n)
        add_opp(
            f'"{oid}","{deal_names[acct % n_names]} - {products[int(rnd() * 12)]}",'
            f'"{account_id(acct)}","{rep_ids[owner]}","{stage}",'
            f'"{amounts[amount_at] if rnd() < 0.97 else ""}","{probability}",'
            f'"{day_text[close]}",'
            f'"{next_steps[int(rnd() * 12)] if last == today else ""}",'
            f'"{day_text[created]}{times[int(rnd() * 86400)]}","{closed}",'
            f'"{"true" if stage == won_name else "false"}","{category}"\n'
        )
        # How many history rows this deal has: on course for the total,
        # give or take two, and all that is left on the last deal.
        due = history * (n + 1) // opportunities
        if n + 1 == opportunities:
            k = due - n_hist
        else:
            k = due - n_hist + int(rnd() * 5) - 2
        if k > 0:
            steps = len(path)
            if k == steps:
                chosen = path
            elif k < steps:
                middle = sorted(rng.sample(range(1, steps - 1), k - 2)) if k > 2 else []
                chosen = [path[i] for i in (0, *middle)][: k - 1] + [path[-1]]
            else:
                # Amount and close-date edits along the way, never after the end.
                open_steps = max(steps - 1, 1)
                extra = [int(rnd() * open_steps) for _ in range(k - steps)]
                chosen = [path[i] for i in sorted([*range(steps), *extra])]
            # Row j falls in the j-th of k equal slices of the deal's life; a
            # closed deal's last row is on its close date, late in the day.
            span = (last - created) * 86400
            base = created * 86400 + 28800 + int(rnd() * 3600)
            final = k - 1
            for j, (stage, probability, category) in enumerate(chosen):
                if j == final:
                    if last == today:
                        d, s = divmod(base + int(span * (j + rnd()) / k), 86400)
                    else:
                        d, s = last, 61200 + int(rnd() * 3600)
                    amount = amounts[amount_at]
                    close_day = close
                else:
                    d, s = divmod(base + int(span * (j + rnd()) / k), 86400)
                    amount = amounts[amount_at if rnd() < 0.7 else int(rnd() * 4096)]
                    close_day = close - pushes[int(rnd() * 9)]
                add_hist(
                    f'"{hist_id(n_hist)}","{oid}","{stage}","{amount}","",'
                    f'"{day_text[close_day]}","{probability}","{category}",'
                    f'"{day_text[d]}{times[s]}"\n'
                )
                n_hist += 1
        if len(opp_lines) >= 8192:
            opp_file.flush()
            hist_file.flush()
            if n % 100_000 < 8192 and n > 8192:
                say(f"Opportunity.csv: {n + 1:,} rows, history {n_hist:,}")
    opp_file.close()
    hist_file.close()
    counts["opportunity"] = opportunities
    counts["history"] = n_hist
    say(f"Opportunity.csv: {opportunities:,} rows; OpportunityHistory.csv: {n_hist:,}")

    # Activities: three in four on a deal, by its owner while it was worked;
    # the rest on an account or on nothing.
    n_tasks = round(activities * task_share)
    statuses = ["Completed"] * 9 + ["Not Started"]
    priorities = ["Normal"] * 8 + ["High"] * 2
    task_kinds = [tuple(_q(v) for v in kind) for kind in TASK_KINDS]
    event_kinds = [tuple(_q(v) for v in kind) for kind in EVENT_KINDS]
    for obj, total in (("task", n_tasks), ("event", activities - n_tasks)):
        make_id = ids[obj]
        rows = _Rows(out / FILES[obj], TASK_HEADER if obj == "task" else EVENT_HEADER)
        add, lines = rows.add, rows.lines
        is_task = obj == "task"
        kinds = task_kinds if is_task else event_kinds
        n_kinds = len(kinds)
        for n in range(total):
            r = rnd()
            if opportunities and r < 0.75:
                o = int(rnd() * opportunities)
                owner = rep_ids[deal_owner[o]]
                acct = account_id(deal_account[o])
                what = opp_id(o)
                d = deal_first[o] + int(rnd() * deal_days[o])
            else:
                owner = rep_ids[int(rnd() * n_reps)]
                acct = account_id(int(rnd() * n_acc)) if r < 0.93 else ""
                what = acct
                d = 420 + int(rnd() * (today - 419))
            kind, subtype, subject = kinds[int(rnd() * n_kinds)]
            s = 28800 + int(rnd() * 36000)
            if is_task:
                add(
                    f'"{make_id(n)}","{owner}","{what}","{acct}","{subject}",'
                    f'"{kind}","{subtype}","{statuses[int(rnd() * 10)]}",'
                    f'"{priorities[int(rnd() * 10)]}","{day_text[d]}",'
                    f'"{day_text[d]}{times[s]}"\n'
                )
            else:
                minutes = DURATIONS[int(rnd() * 10)]
                add(
                    f'"{make_id(n)}","{owner}","{what}","{acct}","{subject}",'
                    f'"{kind}","{subtype}","{day_text[d]}{times[s]}",'
                    f'"{day_text[d]}","{minutes}",'
                    f'"{day_text[d]}{times[s + minutes * 60]}"\n'
                )
            if len(lines) >= 8192:
                rows.flush()
                if n % 1_000_000 < 8192 and n > 8192:
                    say(f"{FILES[obj]}: {n + 1:,} rows")
        rows.close()
        counts[obj] = total
        say(f"{FILES[obj]}: {total:,} rows")
    return {FILES[obj]: rows for obj, rows in counts.items()}


def check_ids(samples: int = 2000) -> None:
    """The ids pass coachbook's own Salesforce id check, when coachbook is importable."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    try:
        from coachbook.lib.fields import salesforce_id
    except ImportError:
        salesforce_id = None
    rng = random.Random(0)
    for obj in PREFIXES:
        make = id_maker(obj, rng.randrange(62**4, 62**5 // 2))
        for n in [0, 1, 61, 62, 62**5, 62**5 + 12345, 10**9] + [
            rng.randrange(20_000_000) for _ in range(samples // len(PREFIXES))
        ]:
            value = make(n)
            assert len(value) == 18 and value[15:] == id_suffix(value[:15]), value
            if salesforce_id is not None:
                assert salesforce_id(value) == value, value
                assert salesforce_id(value[:15]) == value, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument(
        "--activities",
        type=int,
        default=200_000,
        help="tasks and events together (--task-share of them tasks)",
    )
    parser.add_argument(
        "--accounts", type=int, help="default: one per ten opportunities"
    )
    parser.add_argument("--task-share", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    check_ids(200)
    began = time.perf_counter()
    counts = generate(
        args.out,
        reps=args.reps,
        opportunities=args.opportunities,
        history=args.history,
        activities=args.activities,
        accounts=args.accounts,
        seed=args.seed,
        as_of=args.as_of,
        task_share=args.task_share,
        log=None if args.quiet else (lambda m: print(f"  {m}", flush=True)),
    )
    took = time.perf_counter() - began
    total_rows = sum(counts.values())
    total_bytes = 0
    for name, rows in counts.items():
        size = (args.out / name).stat().st_size
        total_bytes += size
        print(f"{name:<24} {rows:>12,} rows {size / 1e6:>10.1f} MB")
    print(
        f"{'total':<24} {total_rows:>12,} rows {total_bytes / 1e6:>10.1f} MB  "
        f"in {took:.1f} s = {total_rows / took:,.0f} rows/s"
    )
    print(f"import with: coachbook import salesforce {args.out} --as-of {args.as_of}")


if __name__ == "__main__":
    main()
