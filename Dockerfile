# The tradeledger service image (docker-compose.yml: the contract-deploy job and one service per bank), serving the
# web console at /console. Contract artifacts are committed, so the image needs no Solidity compiler; the console is
# built by a Node.js stage whose output alone is copied: the service image has no Node.js.

# 1. The service: the Python package and its user.
FROM python:3.11-slim AS service

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/tradeledger
COPY pyproject.toml README.md ./
COPY platform/tradeledger ./platform/tradeledger
COPY reconciliation ./reconciliation
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/tradeledger --create-home tradeledger \
    && mkdir -p /var/lib/tradeledger-deployment \
    && chown tradeledger /var/lib/tradeledger /var/lib/tradeledger-deployment

# 2. What the console's typed client is generated from: this very service's OpenAPI document and currency table
#    (a console that does not fit the API fails its build here, as in `make console`).
FROM service AS api-description
COPY scripts/dump_openapi.py /tmp/dump_openapi.py
RUN python /tmp/dump_openapi.py /tmp/generated

# 3. The console: its pinned packages (package-lock.json), type-checked and bundled by `npm run build`.
FROM node:22-slim AS console
WORKDIR /console
COPY platform/console/package.json platform/console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY platform/console/index.html platform/console/tsconfig.json platform/console/vite.config.ts ./
COPY platform/console/src ./src
COPY --from=api-description /tmp/generated ./generated
RUN npm run build

# 4. The image: the service, and the built console where the service looks for it (tradeledger.api.app.CONSOLE_DIST).
FROM service
COPY --from=console /console/dist /tmp/console-dist
RUN dist="$(python -c 'from tradeledger.api.app import CONSOLE_DIST; print(CONSOLE_DIST)')" \
    && mkdir -p "$(dirname "$dist")" \
    && mv /tmp/console-dist "$dist" \
    && test -f "$dist/index.html"

USER tradeledger
WORKDIR /var/lib/tradeledger
EXPOSE 8000
CMD ["tradeledger", "serve"]
