# Two commands: `make run` starts the bot (console on SQLite when no platform is configured),
# `make test` runs every test. Both create .venv and install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz lint typecheck bench clean messages

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

# The property tests (Hypothesis) with many more examples than CI runs.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider $$(find tests -name 'test_*properties.py') $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

bench: $(STAMP)
	$(BIN)/python bench/search_quality.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The bot's own words: extract them from the code (Babel) into bot/locale/cos-bot.pot, merge new ones into each
# language's .po (translate them there), and compile the .mo files next to them. Both .po and .mo are committed.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k ngettext:1,2 --no-location --width 120 \
		--project cos-bot -o bot/locale/cos-bot.pot .
	$(BIN)/pybabel update -i bot/locale/cos-bot.pot -d bot/locale -D cos-bot --no-fuzzy-matching --width 120
	$(BIN)/pybabel compile -d bot/locale -D cos-bot --statistics
