# The tradeledger service image (docker-compose.yml: the contract-deploy job and one service per bank).
# Contract artifacts are committed, so the image needs no Solidity compiler and no Node.js at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/tradeledger
COPY pyproject.toml README.md ./
COPY platform ./platform
COPY reconciliation ./reconciliation
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/tradeledger --create-home tradeledger \
    && mkdir -p /var/lib/tradeledger-deployment \
    && chown tradeledger /var/lib/tradeledger /var/lib/tradeledger-deployment

USER tradeledger
WORKDIR /var/lib/tradeledger
EXPOSE 8000
CMD ["tradeledger", "serve"]
