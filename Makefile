# Two commands: `make run` starts the bot (console on SQLite when no platform is configured),
# `make test` runs every test. Both create .venv and install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean messages

# setuptools' "Editable installation" notice is information about a correct install, not a problem.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cos-bot run

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

# The bot's own words: extract them from the code, merge them into each language's catalog, compile the .mo files.
# admin_only("...") texts are messages too ("Only admins can …"). A new language: pybabel init -l <lang>.
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -k N_ -k admin_only -k in_lang:2 --project cos-bot -o bot/locale/cos-bot.pot bot adapters
	$(BIN)/pybabel update --no-fuzzy-matching -i bot/locale/cos-bot.pot -d bot/locale -D cos-bot
	$(BIN)/pybabel compile -d bot/locale -D cos-bot

bench: $(STAMP)
	$(BIN)/python bench/search_quality.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
