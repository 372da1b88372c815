# The JAiRouter control plane image, and (target "stubs") the demo's stub model backends.
#
#   docker build -t jairouter/control-plane .
#   docker build --target stubs -t jairouter/stubs .
#
# The control plane runs without an Envoy of its own: Envoy runs in the official envoyproxy/envoy
# image and connects to port 18000 (see compose.yaml and deploy/kubernetes/).

# Base images: the official ones. Where no registry answers, deploy/standin/build-images makes local
# stand-ins to pass here instead (CI does).
ARG BUILD_IMAGE=eclipse-temurin:17-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre
# Where the jars come from: "build" runs the Maven wrapper in the image; "host" takes the jars that
# `./mvnw package` made on this machine, for builds whose containers cannot reach Maven Central.
ARG JARS=build

# 1. Build with the Maven wrapper on a full JDK. Only what the build reads is copied, so editing docs,
#    compose or Kubernetes files does not invalidate this layer.
FROM ${BUILD_IMAGE} AS jars-build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY envoy/bootstrap.template.yaml envoy/
COPY test-fixtures/ test-fixtures/
COPY control-plane/ control-plane/
# The cache mount keeps Maven and the dependencies between builds. Tests run in CI, not in the image
# build: the integration tests need Envoy and free ports, which a build sandbox may not give. Nor does it
# make the build's class-data-sharing archive (exec.skip): that needs Envoy, and the image makes its own.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -Dmaven.test.skip=true -Dexec.skip=true package

# 1'. Or the jars built on the host, at the same paths. BuildKit builds only the stage JARS names.
FROM scratch AS jars-host
COPY control-plane/target/jairouter.jar /src/control-plane/target/
COPY control-plane/jvm.options /src/control-plane/
COPY test-fixtures/target/test-fixtures.jar /src/test-fixtures/target/
COPY test-fixtures/configs/demo.yml /src/test-fixtures/configs/

FROM jars-${JARS} AS jars

# 2. The runtime: a JRE and the jar, run by an unprivileged user.
FROM ${RUNTIME_IMAGE} AS runtime
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin jairouter
USER 10001:10001
WORKDIR /opt/jairouter

# The demo backends (docker compose): NAME=PORT arguments, one stub server each.
FROM runtime AS stubs
COPY --from=jars /src/test-fixtures/target/test-fixtures.jar ./
ENTRYPOINT ["java", "-jar", "/opt/jairouter/test-fixtures.jar"]

# The control plane, last so that a plain `docker build` makes it. Mount the config folder at /config.
# Envoys connect to 18000 (xDS); 18001 serves the status JSON (/v1/status).
FROM runtime AS control-plane
COPY --from=jars /src/control-plane/target/jairouter.jar /src/control-plane/jvm.options ./
# The class-data-sharing archive is made here, by the image's own JVM (an archive fits one jar and one JVM):
# a start on the demo config as the image runs (no Envoy of its own) that stops once it is ready.
USER root
RUN --mount=type=bind,from=jars,source=/src/test-fixtures/configs/demo.yml,target=/tmp/demo.yml \
    DEMO_PORT=0 java -XX:ArchiveClassesAtExit=jairouter.jsa @jvm.options -Djairouter.exit-when-ready=true \
        -jar jairouter.jar --config /tmp/demo.yml --no-envoy --xds-port 0 --status-port 0 \
        --work-dir /tmp/class-data-sharing-run >/dev/null && rm -rf /tmp/class-data-sharing-run
USER 10001:10001
EXPOSE 18000 18001
ENTRYPOINT ["java", "@/opt/jairouter/jvm.options", "-XX:SharedArchiveFile=/opt/jairouter/jairouter.jsa", \
    "-jar", "/opt/jairouter/jairouter.jar"]
CMD ["--config", "/config/application.yml", "--no-envoy", "--xds-address", "0.0.0.0", "--status-address", "0.0.0.0"]
