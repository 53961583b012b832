# Two commands do everything on a fresh machine with Python >= 3.11 and make:
#   make demo   the whole path on the bundled Yammer sample: export into a sealed archive, validate,
#               verify, stats, search, thread; the triage report; then plan (from the triage), dry
#               run, the report with the plan's costs, rehearsed Teams import into the built-in Graph
#               emulator, and reconciliation; it ends with the command that serves the archive in a
#               browser
#   make test   run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := build/demo

.PHONY: demo test lint browser bench schema coverage-docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/rsemigrate export yammer fixtures/yammer -o $(DEMO)/archive
	$(BIN)/rsemigrate validate $(DEMO)/archive
	$(BIN)/rsemigrate verify $(DEMO)/archive
	$(BIN)/rsemigrate stats $(DEMO)/archive
	$(BIN)/rsemigrate search $(DEMO)/archive 'securite OR réunion' --limit 5
	$(BIN)/rsemigrate thread $(DEMO)/archive 2000337749565416
	$(BIN)/rsemigrate report $(DEMO)/archive -o $(DEMO)/triage.json
	$(BIN)/rsemigrate plan init $(DEMO)/archive --to teams -o $(DEMO)/plan.toml --triage $(DEMO)/triage.json
	$(BIN)/rsemigrate plan check $(DEMO)/archive --plan $(DEMO)/plan.toml
	$(BIN)/rsemigrate report $(DEMO)/archive -o $(DEMO)/triage.html --plan $(DEMO)/plan.toml
	$(BIN)/rsemigrate report $(DEMO)/archive -o $(DEMO)/triage.csv --plan $(DEMO)/plan.toml
	$(BIN)/rsemigrate import $(DEMO)/archive --plan $(DEMO)/plan.toml --rehearse
	$(BIN)/rsemigrate reconcile $(DEMO)/archive --plan $(DEMO)/plan.toml --rehearse
	@echo "Read the archive in a browser (docs/viewer.md): $(BIN)/rsemigrate serve $(DEMO)/archive"

test: $(VENV)/.installed browser
	$(BIN)/python -m pytest -q

# The browser tests drive Debian's Chromium (Playwright cannot download its own here); as root, install it.
browser:
	@command -v chromium >/dev/null || [ -n "$${RSEMIGRATE_CHROMIUM:-}" ] || [ "$$(id -u)" != 0 ] || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_export_yammer.py
	$(BIN)/python bench/bench_export_slack.py
	$(BIN)/python bench/bench_export_teams.py
	$(BIN)/python bench/bench_search.py
	$(BIN)/python bench/bench_search.py --shape realistic
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_import_teams.py
	$(BIN)/python bench/bench_import_matrix.py
	$(BIN)/python bench/bench_viewer.py

schema: $(VENV)/.installed
	$(BIN)/python -m rsemigrate.archive.schema schema/

# the field-coverage tables of docs/*.md, from each connector's declarations
coverage-docs: $(VENV)/.installed
	$(BIN)/python -m rsemigrate.export.coverage_docs docs/

clean:
	rm -rf $(VENV) build bench/out
