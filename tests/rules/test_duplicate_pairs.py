"""Duplicate grouping compares only findings that cite a common file."""

from __future__ import annotations

from reviewvet.model.checks import FindingVerdict, LineCheck
from reviewvet.model.review import Finding, Reference
from reviewvet.rules import duplicates


def verdict(number: int, origin: str, path: str, start: int) -> FindingVerdict:
    ref = Reference(path, start, start + 2, f"{path}:{start}", 1)
    finding = Finding(f"I{number}", "important", f"drain loses items {number}", (origin,), "important", None,
                      None, (ref,), ("drainQueue",), (), 1, 1, origin)
    return FindingVerdict(finding, (), (), (LineCheck(ref, "exact", path),), ())


def test_findings_about_other_files_are_never_compared(monkeypatch) -> None:
    compared: list[int] = []
    same_place = duplicates._same_place
    monkeypatch.setattr(duplicates, "_same_place", lambda a, b: compared.append(1) or same_place(a, b))
    origins = ("Claude", "Codex", "Gemini")
    verdicts = tuple(verdict(i, origins[i % 3], f"pkg/file{i}.go", 10) for i in range(600))
    verdicts += (verdict(900, "Claude", "pkg/shared.go", 10), verdict(901, "Codex", "pkg/shared.go", 11))
    facts = duplicates.group_duplicates(verdicts)
    assert len(compared) == 1  # only the two findings about pkg/shared.go
    assert facts["Codex/I901"]["group"] == "Claude/I900" and facts["Claude/I900"]["size"] == 2
    assert facts["Claude/I0"]["size"] == 1
