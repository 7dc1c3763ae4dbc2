# npm-gateway: a small, non-root image for the CI-sidecar use.
#   docker build -t npm-gateway .
#   docker run -p 4873:4873 -v npm-gateway-data:/data -e NPM_GATEWAY_UPSTREAM=https://registry.example.internal/ npm-gateway

# --- build ---
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY config config
COPY storage storage
COPY metrics metrics
COPY proxy proxy
COPY bench/pom.xml bench/pom.xml
RUN mvn -B -q -DskipTests -pl proxy -am package

# --- run ---
# A JRE on glibc (RocksDB's JNI library needs glibc, so no musl/alpine base).
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 gateway \
 && useradd --system --uid 10001 --gid gateway --home-dir /data --shell /usr/sbin/nologin gateway \
 && mkdir -p /data /app && chown gateway:gateway /data
COPY --from=build /src/proxy/target/npm-gateway.jar /app/npm-gateway.jar
COPY docker/entrypoint.sh /app/entrypoint.sh
USER gateway
VOLUME ["/data"]
EXPOSE 4873
ENV NPM_GATEWAY_PORT=4873 \
    NPM_GATEWAY_DATA_DIR=/data \
    JAVA_OPTS="-Xmx256m -XX:+ExitOnOutOfMemoryError"
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/app/entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/app/entrypoint.sh"]
