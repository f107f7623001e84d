# syntax=docker/dockerfile:1
#
# Karma.Serving images. Two targets:
#   docker build --target cpu -t karma-serving:latest .       # ASP.NET runtime + ONNX Runtime (CPU)
#   docker build --target gpu -t karma-serving:latest-gpu .   # CUDA 13 + cuDNN runtime + ONNX Runtime GPU build
# Configuration is by environment variables (Karma__Name, docs/operations.md, "The service"); the shipped model
# is baked in at /models/default and a directory mounted over /models (or Karma__ModelPath) replaces it.
#
# deploy/check.sh runs this file's `dotnet restore` / `dotnet publish` steps outside Docker (it reads
# them from here, so they cannot drift) and serves the result the way the cpu target does.

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
ARG CUDA_IMAGE=nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04

# ---- project files only: this layer and the restores below change only when a project or props file does
FROM ${SDK_IMAGE} AS projects
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Karma.Core/Karma.Core.csproj src/Karma.Core/
COPY src/Karma.Onnx/Karma.Onnx.csproj src/Karma.Onnx/
COPY src/Karma.Search/Karma.Search.csproj src/Karma.Search/
COPY src/Karma.Serving.Contracts/Karma.Serving.Contracts.csproj src/Karma.Serving.Contracts/
COPY src/Karma.Serving.Core/Karma.Serving.Core.csproj src/Karma.Serving.Core/
COPY src/Karma.Serving/Karma.Serving.csproj src/Karma.Serving/

# ---- restore for linux-x64 (Directory.Build.props sets the RuntimeIdentifier): the cached layer
FROM projects AS restore-cpu
RUN dotnet restore src/Karma.Serving/Karma.Serving.csproj

FROM projects AS restore-gpu
RUN dotnet restore src/Karma.Serving/Karma.Serving.csproj -p:KarmaGpu=true

# ---- sources and publish (framework-dependent; the service does not reference TorchSharp)
FROM restore-cpu AS publish-cpu
COPY protos/ protos/
COPY src/Karma.Core/ src/Karma.Core/
COPY src/Karma.Onnx/ src/Karma.Onnx/
COPY src/Karma.Search/ src/Karma.Search/
COPY src/Karma.Serving.Contracts/ src/Karma.Serving.Contracts/
COPY src/Karma.Serving.Core/ src/Karma.Serving.Core/
COPY src/Karma.Serving/ src/Karma.Serving/
RUN dotnet publish src/Karma.Serving/Karma.Serving.csproj -c Release --no-restore -o /out

FROM restore-gpu AS publish-gpu
COPY protos/ protos/
COPY src/Karma.Core/ src/Karma.Core/
COPY src/Karma.Onnx/ src/Karma.Onnx/
COPY src/Karma.Search/ src/Karma.Search/
COPY src/Karma.Serving.Contracts/ src/Karma.Serving.Contracts/
COPY src/Karma.Serving.Core/ src/Karma.Serving.Core/
COPY src/Karma.Serving/ src/Karma.Serving/
RUN dotnet publish src/Karma.Serving/Karma.Serving.csproj -c Release --no-restore -p:KarmaGpu=true -o /out

# ---- cpu: the ASP.NET runtime image plus libgomp1 (USearch's native library links OpenMP)
FROM ${ASPNET_IMAGE} AS cpu
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 karma \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin karma
WORKDIR /app
COPY --from=publish-cpu /out /app
COPY models/default /models/default
# Kestrel binds the two ports itself (Karma__GrpcPort, Karma__HttpPort); ASPNETCORE_URLS is not used.
# The package cache for Redis publications (and the HNSW index cache beside a package) must be writable:
# /tmp, an emptyDir in Kubernetes where the root filesystem is read-only.
ENV Karma__ModelPath=/models/default \
    Karma__Device=cpu \
    Karma__GrpcPort=50051 \
    Karma__HttpPort=8080 \
    Karma__PackageCacheDir=/tmp/karma-packages \
    Karma__ShutdownTimeoutSeconds=30 \
    DOTNET_gcServer=1 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 50051 8080
USER 10001:10001
# No curl or wget in the ASP.NET image. Bash's /dev/tcp and grep (both in the image) speak enough HTTP/1.0
# to ask /healthz: no extra package, and no second .NET process (about 60 MB and 100 ms) every interval.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${Karma__HttpPort:-8080} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM starts the graceful stop: readiness NOT_SERVING, Karma__DrainDelaySeconds of service, then in-flight
# calls finish within Karma__ShutdownTimeoutSeconds. Give `docker stop -t` / compose stop_grace_period more.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/Karma.Serving.dll"]

# ---- gpu: CUDA 13 + cuDNN runtime (what ONNX Runtime 1.31's CUDA provider links) plus the ASP.NET runtime
FROM ${ASPNET_IMAGE} AS aspnet-runtime

FROM ${CUDA_IMAGE} AS gpu
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libgomp1 libssl3t64 zlib1g tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 karma \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin karma
COPY --from=aspnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=publish-gpu /out /app
COPY models/default /models/default
ENV Karma__ModelPath=/models/default \
    Karma__Device=cuda \
    Karma__GrpcPort=50051 \
    Karma__HttpPort=8080 \
    Karma__PackageCacheDir=/tmp/karma-packages \
    Karma__ShutdownTimeoutSeconds=30 \
    DOTNET_gcServer=1 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
EXPOSE 50051 8080
USER 10001:10001
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${Karma__HttpPort:-8080} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/Karma.Serving.dll"]
