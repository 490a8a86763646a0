# paichan: production scheduling service. Build: docker build -t paichan .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei fontconfig \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY scheduler_core ./scheduler_core
COPY handlers ./handlers
COPY jobs ./jobs
COPY db ./db
RUN pip install . && useradd --create-home paichan
USER paichan
WORKDIR /home/paichan

EXPOSE 8080
# the main job: the demo (web app, jobs, simulated shop floor) on http://localhost:8080/ with
# `docker run -p 8080:8080 paichan`; production: `paichan serve` with PAICHAN_DATABASE_URL set
CMD ["paichan", "demo", "--host", "0.0.0.0"]
