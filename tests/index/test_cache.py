"""The parse cache: results are keyed by git blob id, so an unchanged or renamed file is never parsed twice.

Every test uses its own cache folder in tmp_path (never the session cache), and closes it.
"""

from __future__ import annotations

from pathlib import Path

from reviewvet.git import Git
from reviewvet.index.build import index_revision
from reviewvet.index.model import RepoIndex
from reviewvet.index.cache import CACHE_FILE, ParseCache

GO_MOD = "module example.com/shop\n\ngo 1.22\n"
CART = """\
package cart

// Total adds up the prices.
func Total(prices []int) int {
\tsum := 0
\tfor _, p := range prices {
\t\tsum += p
\t}
\treturn sum
}
"""
DISCOUNT = """\
package cart

func Discount(total, percent int) int {
\treturn total - total*percent/100
}
"""
DEPLOY = """\
#!/bin/bash
ship() {
    rsync -a build/ "$1"
}
ship "$@"
"""
REPORT = """\
def build(rows):
    return [format_row(r) for r in rows]


def format_row(row):
    return str(row)
"""
SOURCES = {"cart/total.go": CART, "cart/discount.go": DISCOUNT, "scripts/deploy.sh": DEPLOY,
           "tools/report.py": REPORT}


def shop_repo(make_repo):
    repo = make_repo()
    repo.commit("shop: first version", {"go.mod": GO_MOD, "README.md": "# shop\n", **SOURCES},
                date="2026-02-02T09:00:00+00:00")
    return repo


def index_with(path: Path, rev: str, cache_dir: Path) -> RepoIndex:
    cache = ParseCache(cache_dir)
    try:
        return index_revision(Git(path), rev, cache=cache)
    finally:
        cache.close()


def test_a_second_index_of_the_same_revision_parses_nothing(make_repo, tmp_path) -> None:
    repo = shop_repo(make_repo)
    first = index_with(repo.path, "HEAD", tmp_path / "cache")
    assert (first.stats.files, first.stats.parsed, first.stats.cached) == (4, 4, 0)
    assert (tmp_path / "cache" / CACHE_FILE).is_file()

    second = index_with(repo.path, "HEAD", tmp_path / "cache")  # a new ParseCache on the same folder
    assert (second.stats.files, second.stats.parsed, second.stats.cached) == (4, 0, 4)
    assert second.symbols == first.symbols
    assert second.files == first.files  # the cached records round-trip whole, calls included
    assert {s.id for s in second.symbols} >= {"example.com/shop/cart.Total", "example.com/shop/cart.Discount",
                                              "scripts/deploy.sh::ship", "tools.report.build"}


def test_only_the_changed_file_is_parsed_again(make_repo, tmp_path) -> None:
    repo = shop_repo(make_repo)
    index_with(repo.path, "HEAD", tmp_path / "cache")
    changed = DISCOUNT + "\nfunc Coupon(total int) int {\n\treturn Discount(total, 10)\n}\n"
    repo.commit("cart: coupons", {"cart/discount.go": changed}, date="2026-02-03T09:00:00+00:00")
    idx = index_with(repo.path, "HEAD", tmp_path / "cache")
    assert (idx.stats.parsed, idx.stats.cached) == (1, 3)
    coupon = idx.table.find("cart.Coupon")
    assert [(s.path, s.start, s.end) for s in coupon] == [("cart/discount.go", 7, 9)]


def test_a_renamed_file_is_not_parsed_and_its_symbols_move(make_repo, tmp_path) -> None:
    repo = shop_repo(make_repo)
    index_with(repo.path, "HEAD", tmp_path / "cache")
    repo.commit("move files", {"cart/discount.go": None, "cart/offers.go": DISCOUNT,
                               "tools/report.py": None, "tools/summary.py": REPORT},
                date="2026-02-03T09:00:00+00:00")
    idx = index_with(repo.path, "HEAD", tmp_path / "cache")
    assert (idx.stats.parsed, idx.stats.cached) == (0, 4)
    (discount,) = idx.table.find("Discount")
    assert (discount.path, discount.start, discount.end) == ("cart/offers.go", 3, 5)
    assert not idx.table.in_file("cart/discount.go")
    (build,) = idx.table.find("build")
    assert (build.id, build.path) == ("tools.summary.build", "tools/summary.py")  # the module name follows
    assert idx.files["tools/summary.py"].package == "tools.summary"


def test_a_corrupted_cache_file_is_reported_and_bypassed(make_repo, tmp_path) -> None:
    repo = shop_repo(make_repo)
    index_with(repo.path, "HEAD", tmp_path / "cache")
    db = tmp_path / "cache" / CACHE_FILE
    db.write_bytes(b"\x00garbage, not a SQLite database\xff" * 200)

    cache = ParseCache(tmp_path / "cache")
    try:
        assert "parse cache" in cache.problem and str(db) in cache.problem
        idx = index_revision(Git(repo.path), "HEAD", cache=cache)
    finally:
        cache.close()
    assert cache.problem in idx.notes
    assert (idx.stats.parsed, idx.stats.cached) == (4, 0)
    assert idx.symbols == index_revision(Git(repo.path), "HEAD", cache=None).symbols


def test_blobs_are_read_by_a_fixed_number_of_git_processes(make_repo) -> None:
    repo = make_repo()
    few = repo.commit("five files", {"go.mod": GO_MOD, **{f"gen/f{i}.go": f"package gen\n\nfunc F{i}() {{}}\n"
                                                          for i in range(5)}}, date="2026-02-02T09:00:00+00:00")
    many = repo.commit("forty files", {f"gen/f{i}.go": f"package gen\n\nfunc F{i}() {{}}\n" for i in range(40)},
                       date="2026-02-03T09:00:00+00:00")
    counts = []
    for rev, n in ((few, 5), (many, 40)):
        git = Git(repo.path)
        idx = index_revision(git, rev, cache=None)
        assert (idx.stats.parsed, len(idx.symbols)) == (n, n)
        counts.append(git.process_count)
    assert counts[0] == counts[1] <= 5
