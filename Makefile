# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := .demo

.PHONY: demo demo-repo test install clean check-sarif

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "installing reviewvet and its dependencies into $(VENV) (log: $(VENV)/install.log)"
	@( $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e '.[test]' ) \
		> $(VENV)/install.log 2>&1 || ( tail -40 $(VENV)/install.log; exit 1 )
	@touch $(STAMP)

install: $(STAMP)

# The demo: a small repository built from fixtures/demo.py, and a review of its pull request.
DEMO_VERIFY := $(BIN)/reviewvet verify fixtures/reviews/demo-review.md --repo $(DEMO)/repo \
	--base main --head feature/retry-budget --context fixtures/reviews/demo-context.yaml

demo-repo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/python fixtures/demo.py $(DEMO)/repo > $(DEMO)/repo.json

demo: demo-repo
	$(DEMO_VERIFY)

# Optional: the demo's SARIF checked by Microsoft's SARIF multitool with its GitHub code scanning
# rules (the `Ghas` rule kind; `Gh` names them in multitool releases before 5.0.5). It runs the
# `sarif` .NET tool or the npm package when one is installed, and never installs either.
SARIF_RULES := Sarif;Gh;Ghas

check-sarif: demo-repo
	$(DEMO_VERIFY) --format sarif -o $(DEMO)/demo.sarif
	@if command -v sarif >/dev/null 2>&1; then \
		echo "sarif validate --rule-kind '$(SARIF_RULES)' $(DEMO)/demo.sarif"; \
		sarif validate --rule-kind '$(SARIF_RULES)' $(DEMO)/demo.sarif; \
	elif command -v npm >/dev/null 2>&1 && { npm ls --global --depth=0 @microsoft/sarif-multitool || \
			npm ls --depth=0 @microsoft/sarif-multitool; } >/dev/null 2>&1; then \
		echo "npx --no @microsoft/sarif-multitool validate --rule-kind '$(SARIF_RULES)' $(DEMO)/demo.sarif"; \
		npx --no @microsoft/sarif-multitool validate --rule-kind '$(SARIF_RULES)' $(DEMO)/demo.sarif; \
	else \
		echo "$(DEMO)/demo.sarif is written, but the SARIF multitool is not installed, so it was not checked."; \
		echo "Install either one, then run make check-sarif again:"; \
		echo "  npm install --global @microsoft/sarif-multitool    (Node.js)"; \
		echo "  dotnet tool install --global Sarif.Multitool       (.NET; the command is sarif)"; \
	fi

# The coverage floor: the branch coverage total `make test` measured, rounded down. Raise it when
# coverage rises, never lower it. Plain `pytest` (without make) measures nothing.
COVERAGE_FLOOR := 95

test: $(STAMP)
	$(BIN)/python -m ruff check src tests fixtures action
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

clean:
	rm -rf $(VENV) $(DEMO) build src/*.egg-info .coverage .coverage.*
