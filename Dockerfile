# shopgraph: `docker build -t shopgraph .`, or `docker compose up` with compose.yaml (PostgreSQL).
# The wheel (and every dependency's) is built in the first stage; the image installs only wheels.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shopgraph shopgraph
COPY graph graph
COPY commerce commerce
COPY models models
COPY payments payments
COPY migrations migrations
COPY storefront storefront
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SHOPGRAPH_ENV=production \
    DATABASE_URL=sqlite:///data/shopgraph.db \
    SHOPGRAPH_HOST=0.0.0.0 \
    SHOPGRAPH_PORT=8000 \
    SHOPGRAPH_LOG_FORMAT=json \
    SHOPGRAPH_SHUTDOWN_SECONDS=30
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels shopgraph \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 shopgraph \
    && mkdir /data && chown shopgraph /data
USER shopgraph
WORKDIR /data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${SHOPGRAPH_PORT}/healthz', timeout=4)"
# Production mode: no GraphiQL or introspection unless asked for, TLS to the mail server, and no start
# without STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (give them with `docker run -e`).
# Migrations are applied on every start (a no-op when there are none); SIGTERM drains requests in flight.
STOPSIGNAL SIGTERM
CMD ["sh", "-c", "shopgraph migrate && exec shopgraph serve --host 0.0.0.0"]
