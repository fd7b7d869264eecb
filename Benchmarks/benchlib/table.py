"""Rows of the results table: per-run values, ratios against a baseline measured in the same run,
medians with min and max, and the target each row is held to."""
import statistics


class Row:
    """One measured figure. `values[i]` is run i's value (None when that run failed). When
    `baseline` is another Row, run i's ratio is values[i] / baseline.values[i]: both were measured
    in the same repetition, so machine noise between repetitions does not enter the ratio."""

    def __init__(self, bench, name, unit, baseline=None, target=None, higher_is_better=True, short=None):
        self.bench = bench
        self.short = short
        self.name = name
        self.unit = unit
        self.baseline = baseline
        # target: ("ratio>=", x) | ("ratio<=", x) | ("value<=", x) | None
        self.target = target
        self.higher_is_better = higher_is_better
        self.values = []
        self.notes = []
        self.unavailable = None
        # A figure that may rightly be 0 (idle CPU): smoke runs accept it.
        self.zero_ok = False

    def add(self, value):
        self.values.append(value)

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def good_values(self):
        return [v for v in self.values if v is not None]

    def ratios(self):
        if self.baseline is None:
            return []
        pairs = zip(self.values, self.baseline.values)
        return [v / b for v, b in pairs if v is not None and b]

    def stats(self):
        good = self.good_values()
        if not good:
            return None
        return statistics.median(good), min(good), max(good)

    def ratio_stats(self):
        ratios = self.ratios()
        if not ratios:
            return None
        return statistics.median(ratios), min(ratios), max(ratios)

    def verdict(self):
        """'met', 'missed by X', or '' when the row has no target or no figure."""
        if self.target is None:
            return ""
        kind, bound = self.target
        if kind.startswith("ratio"):
            got = self.ratio_stats()
        else:
            got = self.stats()
        if got is None:
            return ""
        median = got[0]
        if kind.endswith(">="):
            return "met" if median >= bound else f"missed by {(bound - median) / bound:.0%}"
        return "met" if median <= bound else f"missed by {(median - bound) / bound:.0%}"

    def target_text(self):
        if self.target is None:
            return ""
        kind, bound = self.target
        subject = "x baseline" if kind.startswith("ratio") else self.unit
        return f"{kind[-2:]} {bound:g} {subject}"


def short(row):
    return (row.short or row.name) if row else ""


def fmt(value):
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 100_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render(rows, runs):
    """A Markdown table (pasteable into BENCHMARKS.md) followed by the notes of each row."""
    header = ("| # | measurement | median | min | max | unit | ratio median (min-max) | vs | target | |")
    lines = [header, "|---|---|---:|---:|---:|---|---|---|---|---|"]
    notes = []
    for row in rows:
        if row.unavailable:
            cell = "agent: not available" if row.unavailable.startswith("agent: not available") else "skipped"
            lines.append(f"| {row.bench} | {row.name} | {cell} | | | {row.unit} | | "
                         f"{short(row.baseline)} | {row.target_text()} | |")
            notes.append(f"{row.bench} {row.name}: {row.unavailable}")
            continue
        stats = row.stats()
        ratio = row.ratio_stats()
        median, low, high = stats if stats else (None, None, None)
        ratio_text = f"{ratio[0]:.3f} ({ratio[1]:.3f}-{ratio[2]:.3f})" if ratio else ""
        failed = len(row.values) - len(row.good_values())
        name = row.name + (f" ({failed}/{len(row.values)} runs failed)" if failed else "")
        lines.append(f"| {row.bench} | {name} | {fmt(median)} | {fmt(low)} | {fmt(high)} | {row.unit} | "
                     f"{ratio_text} | {short(row.baseline)} | {row.target_text()} | "
                     f"{row.verdict()} |")
        for text in row.notes:
            notes.append(f"{row.bench} {row.name}: {text}")
    out = "\n".join(lines)
    if notes:
        out += "\n\nNotes:\n" + "\n".join(f"- {n}" for n in notes)
    return out


def to_json(rows):
    return [{
        "bench": r.bench, "name": r.name, "unit": r.unit, "values": r.values,
        "baseline": r.baseline.name if r.baseline else None, "ratios": r.ratios(),
        "target": list(r.target) if r.target else None, "verdict": r.verdict(),
        "unavailable": r.unavailable, "notes": r.notes, "zero_ok": r.zero_ok,
    } for r in rows]
