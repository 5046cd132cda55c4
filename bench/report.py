"""The result table: every figure next to its goal or limit, PASS / MISS / INFO, plus notes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    figure: str
    measure: str
    value: str
    goal: str
    ok: bool | None  # None: informational, no goal
    note: str = ""

    @property
    def verdict(self) -> str:
        return "INFO" if self.ok is None else ("PASS" if self.ok else "MISS")


@dataclass
class Report:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: str, measure: str, value: str, goal: str, ok: bool | None, note: str = "") -> None:
        self.rows.append(Row(figure, measure, value, goal, ok, note))

    def markdown(self) -> str:
        lines = [
            f"# {self.title}",
            "",
            "| # | measure | value | goal / limit | | note |",
            "|---|---|---|---|---|---|",
        ]
        lines.extend(
            f"| {r.figure} | {r.measure} | {r.value} | {r.goal} | {r.verdict} | {r.note} |" for r in self.rows
        )
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        head = ("#", "measure", "value", "goal / limit", "", "note")
        cells = [head, *((r.figure, r.measure, r.value, r.goal, r.verdict, r.note) for r in self.rows)]
        widths = [max(len(c[i]) for c in cells) for i in range(5)]
        out = [self.title, ""]
        for cell in cells:
            out.append("  ".join(c.ljust(w) for c, w in zip(cell[:5], widths, strict=True)) + "  " + cell[5])
        if self.notes:
            out += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(out) + "\n"

    @property
    def missed(self) -> list[Row]:
        return [r for r in self.rows if r.ok is False]
