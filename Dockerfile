FROM python:3.11-slim
RUN useradd --system --create-home location-ops
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e . && mkdir -p /app/var && chown location-ops /app/var
USER location-ops
ENV LOCATION_OPS_HOST=0.0.0.0 LOCATION_OPS_PORT=8000
EXPOSE 8000
CMD ["sh", "-c", "location-ops migrate && exec location-ops serve"]
