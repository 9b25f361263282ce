FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api api
COPY core core
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY worker worker
COPY cli cli
COPY migrations migrations
RUN pip install --no-cache-dir .
USER nobody
EXPOSE 8000
CMD ["tempogram", "api"]
