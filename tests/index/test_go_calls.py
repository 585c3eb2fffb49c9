"""Go call resolution on small modules written for each case: receivers typed by composite
literals, constructors, fields and package variables; functions used as values; call lines."""

from __future__ import annotations

from collections.abc import Callable

from reviewvet.git import Git
from reviewvet.index.build import index_revision
from reviewvet.index.languages.go import parse_go
from reviewvet.index.records import CONFIDENCES, ParsedFile

MOD = "example.com/kiln"
Edges = set[tuple[str, str, str, int]]

# Two types share every method name, so a by-name guess always shows as two edges.
SHAPES = """\
package shapes

type Oven struct{ Door *Door }

type Door struct{ open bool }

type Tray struct{}

func NewOven() *Oven { return &Oven{Door: &Door{}} }

func Open(path string) (*Tray, error) { return &Tray{}, nil }

func (o *Oven) Heat() {}

func (t *Tray) Heat() {}

func (d *Door) Shut() {}

func (t *Tray) Shut() {}
"""


def edges_of(make_repo: Callable[..., object], files: dict[str, str]) -> Edges:
    """Every edge of a module holding ``shapes/shapes.go`` and ``files``, as (caller, callee, how, line)."""
    repo = make_repo()
    repo.commit("kiln", {"go.mod": f"module {MOD}\n", "shapes/shapes.go": SHAPES, **files})  # type: ignore[attr-defined]
    idx = index_revision(Git(repo.path), "HEAD")  # type: ignore[attr-defined]
    strip = f"{MOD}/"
    return {(e.caller.removeprefix(strip), e.callee.removeprefix(strip), e.confidence, e.line) for e in idx.edges}


def from_caller(edges: Edges, caller: str) -> Edges:
    return {e for e in edges if e[0] == caller and not e[1].startswith("external:")}


def test_composite_literals_give_the_receiver_its_type(make_repo) -> None:
    edges = edges_of(make_repo, {"shapes/bake.go": """\
package shapes

func bake() {
	(&Oven{}).Heat()
	Tray{}.Shut()
	o := &Oven{}
	o.Heat()
	var t Tray
	t.Shut()
}
"""})
    assert from_caller(edges, "shapes.bake") == {
        ("shapes.bake", "shapes.(*Oven).Heat", "by-type", 4),
        ("shapes.bake", "shapes.(*Tray).Shut", "by-type", 5),
        ("shapes.bake", "shapes.(*Oven).Heat", "by-type", 7),
        ("shapes.bake", "shapes.(*Tray).Shut", "by-type", 9),
    }


def test_a_constructor_s_declared_result_types_the_variable(make_repo) -> None:
    edges = edges_of(make_repo, {"cmd/fire/main.go": """\
package main

import "example.com/kiln/shapes"

func main() {
	o := shapes.NewOven()
	o.Heat()
	t, err := shapes.Open("x")
	if err != nil {
		return
	}
	t.Heat()
	shapes.NewOven().Door.Shut()
	local := newLocal()
	local.Heat()
}

func newLocal() *shapes.Tray { return nil }
"""})
    assert from_caller(edges, "cmd/fire.main") == {
        ("cmd/fire.main", "shapes.NewOven", "exact", 6),
        ("cmd/fire.main", "shapes.(*Oven).Heat", "by-type", 7),
        ("cmd/fire.main", "shapes.Open", "exact", 8),
        ("cmd/fire.main", "shapes.(*Tray).Heat", "by-type", 12),
        ("cmd/fire.main", "shapes.NewOven", "exact", 13),
        ("cmd/fire.main", "shapes.(*Door).Shut", "by-type", 13),  # through the field Door *Door
        ("cmd/fire.main", "cmd/fire.newLocal", "exact", 14),
        ("cmd/fire.main", "shapes.(*Tray).Heat", "by-type", 15),  # same-package constructor
    }


def test_fields_embedded_types_and_package_variables_type_the_receiver(make_repo) -> None:
    edges = edges_of(make_repo, {"shapes/line.go": """\
package shapes

var defaultOven = &Oven{}

type line struct {
	*Oven
	trays []*Tray
	byName map[string]*Door
}

func (l *line) run(name string) {
	l.Heat()
	l.trays[0].Shut()
	l.byName[name].Shut()
	for _, t := range l.trays {
		t.Heat()
	}
	defaultOven.Heat()
}
"""})
    assert from_caller(edges, "shapes.(*line).run") == {
        ("shapes.(*line).run", "shapes.(*Oven).Heat", "by-type", 12),  # promoted from the embedded *Oven
        ("shapes.(*line).run", "shapes.(*Tray).Shut", "by-type", 13),
        ("shapes.(*line).run", "shapes.(*Door).Shut", "by-type", 14),
        ("shapes.(*line).run", "shapes.(*Tray).Heat", "by-type", 16),
        ("shapes.(*line).run", "shapes.(*Oven).Heat", "by-type", 18),
    }


def test_an_unknown_receiver_still_goes_to_every_method_of_that_name(make_repo) -> None:
    edges = edges_of(make_repo, {"shapes/any.go": """\
package shapes

type heater interface{ Heat() }

func warm(h heater, items []interface{ Shut() }) {
	h.Heat()
	items[0].Shut()
}
"""})
    assert from_caller(edges, "shapes.warm") == {
        ("shapes.warm", "shapes.(*Oven).Heat", "by-name-only", 6),
        ("shapes.warm", "shapes.(*Tray).Heat", "by-name-only", 6),
        ("shapes.warm", "shapes.(*Door).Shut", "by-name-only", 7),
        ("shapes.warm", "shapes.(*Tray).Shut", "by-name-only", 7),
    }


def test_functions_used_as_values_are_reference_edges(make_repo) -> None:
    edges = edges_of(make_repo, {"cmd/fire/cmd.go": """\
package main

import (
	"net/http"
	"os"

	"example.com/kiln/shapes"
)

type command struct {
	RunE func() error
}

const limit = 3

var label = "kiln"

func action() error { return nil }

func handler(w http.ResponseWriter, r *http.Request) {}

func wire(o *shapes.Oven, action func() error) *command {
	http.HandleFunc("/", handler)
	f := shapes.NewOven
	_ = f
	heat := o.Heat
	_ = heat
	register(os.Exit, limit, label, action)
	return &command{RunE: wireless}
}

func wireless() error { return nil }

func register(values ...interface{}) {}
"""})
    assert from_caller(edges, "cmd/fire.wire") == {
        ("cmd/fire.wire", "cmd/fire.handler", "reference", 23),
        ("cmd/fire.wire", "shapes.NewOven", "reference", 24),
        ("cmd/fire.wire", "shapes.(*Oven).Heat", "reference", 26),
        ("cmd/fire.wire", "cmd/fire.register", "exact", 28),  # os.Exit, a constant, a variable, a parameter: none
        ("cmd/fire.wire", "cmd/fire.wireless", "reference", 29),
    }
    assert not any(e[2] == "reference" and e[1].startswith("external:") for e in edges)
    assert "reference" in CONFIDENCES


def test_a_call_split_across_lines_is_on_the_line_of_the_called_name(make_repo) -> None:
    edges = edges_of(make_repo, {"shapes/split.go": """\
package shapes

func split() {
	NewOven().
		Heat()
	(&Tray{
		}).
		Shut()
	Open(
		"x")
}
"""})
    assert from_caller(edges, "shapes.split") == {
        ("shapes.split", "shapes.NewOven", "exact", 4),
        ("shapes.split", "shapes.(*Oven).Heat", "by-type", 5),
        ("shapes.split", "shapes.(*Tray).Shut", "by-type", 8),
        ("shapes.split", "shapes.Open", "exact", 9),
    }


def test_shell_and_python_call_lines_are_those_of_the_called_name(make_repo) -> None:
    repo = make_repo()
    repo.commit("scripts", {
        "tool.sh": "greet() { echo hi; }\nLANG=C \\\n  greet\n",
        "tool.bats": "helper() { :; }\n@test \"t\" {\n  run \\\n    helper\n}\n",
        "tool.py": "class A:\n    def b(self):\n        return (self\n                .c())\n\n"
                   "    def c(self):\n        pass\n",
    })
    idx = index_revision(Git(repo.path), "HEAD")
    lines = {(e.callee, e.line) for e in idx.edges if not e.callee.startswith("external:")}
    assert lines == {("tool.sh::greet", 3), ("tool.bats::helper", 4), ("tool.A.c", 4)}


def test_a_blank_import_is_not_taken_for_a_package_of_the_same_name(make_repo) -> None:
    edges = edges_of(make_repo, {"cmd/fire/blank.go": """\
package main

import (
	_ "other.example/shapes"
	"example.com/kiln/shapes"
)

func blank() {
	shapes.NewOven().Heat()
}
"""})
    assert from_caller(edges, "cmd/fire.blank") == {
        ("cmd/fire.blank", "shapes.NewOven", "exact", 9),
        ("cmd/fire.blank", "shapes.(*Oven).Heat", "by-type", 9),
    }


def test_the_new_parse_records_survive_the_cache_form() -> None:
    pf = parse_go("shapes/line.go", b"""\
package shapes

var ovens = map[string]*Oven{}

type line struct{ *Oven }

func build() (*Oven, error) { return nil, nil }

func use() { register(build) }
""")
    assert ParsedFile.from_json(pf.to_json()) == pf
    assert [d.result for d in pf.definitions if d.kind == "function"] == ["*Oven", ""]
    assert pf.variables == (("ovens", "map[string]*Oven"),)
    assert [(f.owner, f.name, f.type, f.embedded) for f in pf.fields] == [("line", "Oven", "Oven", True)]
    assert any(c.reference and c.name == "build" for c in pf.calls)
