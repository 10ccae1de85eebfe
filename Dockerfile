# Marketplace Monitor: one image for every role (`run`, `migrate`, `sandbox`).
FROM python:3.11-slim

# Chromium for the Facebook Marketplace scraper (Playwright drives the system browser).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BROWSER_EXECUTABLE=/usr/bin/chromium \
    WEB_HOST=0.0.0.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY bot ./bot
COPY scrapers ./scrapers
COPY notifiers ./notifiers
COPY billing ./billing
COPY web ./web
RUN pip install --no-cache-dir .

RUN useradd --create-home monitor && mkdir -p /app/data && chown monitor /app/data
USER monitor

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)" || exit 1
ENTRYPOINT ["marketplace-monitor"]
CMD ["run"]
