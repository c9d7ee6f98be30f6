# CityPartner. `make run` serves the demo, `make test` runs the whole suite.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

# Two workers (the machine has two cores): each SQLite test has its own file, and on
# PostgreSQL each worker has its own database (tests/conftest.py).
PYTEST_PARALLEL := -p xdist -n 2

.PHONY: run test lint translations compile-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

compile-translations: $(VENV)/.installed
	@if ls app/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile --statistics -d app/translations; \
	fi

run: compile-translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@echo "Serving http://127.0.0.1:5000 (Ctrl-C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: compile-translations
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

translations: $(VENV)/.installed
	$(BIN)/pybabel extract --quiet -F babel.cfg -k _l -o app/translations/messages.pot .
	@for lang in zh en; do \
		if [ -f app/translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i app/translations/messages.pot -d app/translations -l $$lang; \
		else \
			$(BIN)/pybabel init -i app/translations/messages.pot -d app/translations -l $$lang; \
		fi; \
	done
	$(BIN)/pybabel compile --statistics -d app/translations
