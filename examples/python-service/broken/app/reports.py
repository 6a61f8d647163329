"""Reports on items: counts per day, name statistics, CSV export.

Added by `./run --broken` without a single test: it pulls coverage below 80%.
"""

import csv
import io
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from app.models import Item


def items_between(session, start, end):
    query = select(Item).order_by(Item.created_at)
    items = []
    for item in session.scalars(query):
        day = item.created_at.date()
        if start <= day <= end:
            items.append(item)
    return items


def counts_per_day(session, start, end):
    counts = {}
    day = start
    while day <= end:
        counts[day.isoformat()] = 0
        day += timedelta(days=1)
    for item in items_between(session, start, end):
        key = item.created_at.date().isoformat()
        counts[key] = counts.get(key, 0) + 1
    return counts


def busiest_day(session, start, end):
    counts = counts_per_day(session, start, end)
    if not counts:
        return None
    best = max(counts.items(), key=lambda pair: (pair[1], pair[0]))
    if best[1] == 0:
        return None
    return {"day": best[0], "items": best[1]}


def name_statistics(session):
    names = [item.name for item in session.scalars(select(Item))]
    if not names:
        return {"count": 0, "shortest": None, "longest": None, "average": 0.0}
    lengths = [len(name) for name in names]
    return {
        "count": len(names),
        "shortest": min(names, key=len),
        "longest": max(names, key=len),
        "average": sum(lengths) / len(lengths),
    }


def common_words(session, limit=10):
    words = Counter()
    for item in session.scalars(select(Item)):
        for word in item.name.lower().split():
            word = word.strip(".,;:!?\"'()")
            if len(word) > 2:
                words[word] += 1
    return words.most_common(limit)


def duplicates(session):
    seen = {}
    for item in session.scalars(select(Item).order_by(Item.id)):
        key = item.name.strip().lower()
        seen.setdefault(key, []).append(item.id)
    return {name: ids for name, ids in seen.items() if len(ids) > 1}


def export_csv(session, start=None, end=None):
    start = start or date.min
    end = end or date.max
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "name", "created_at"])
    for item in items_between(session, start, end):
        writer.writerow([item.id, item.name, item.created_at.isoformat()])
    return buffer.getvalue()


def weekly_summary(session, today):
    start = today - timedelta(days=6)
    counts = counts_per_day(session, start, today)
    total = sum(counts.values())
    summary = {
        "from": start.isoformat(),
        "to": today.isoformat(),
        "total": total,
        "per_day": counts,
        "average": total / 7,
    }
    busiest = busiest_day(session, start, today)
    if busiest:
        summary["busiest"] = busiest
    stats = name_statistics(session)
    summary["names"] = stats
    summary["duplicates"] = len(duplicates(session))
    return summary


def trend(session, today, weeks=4):
    totals = []
    for week in range(weeks):
        end = today - timedelta(days=7 * week)
        start = end - timedelta(days=6)
        totals.append(sum(counts_per_day(session, start, end).values()))
    totals.reverse()
    changes = []
    for before, after in zip(totals, totals[1:]):
        if before == 0:
            changes.append(None)
        else:
            changes.append(round((after - before) / before * 100, 1))
    return {"weekly_totals": totals, "change_percent": changes}
