# Tripline operator image: built on Node 24 LTS, runs as non-root with only the compiled JS and its
# runtime dependencies. Build: docker build -t tripline:dev .
# Base images are pinned by digest (multi-arch index digests), so a moved tag cannot change what is
# built; bump tag and digest together (test/e2e/install.test.ts refuses an unpinned FROM).
FROM node:24-bookworm-slim@sha256:3638d9a6fe4030bd716be989438248074489337ba3275657f93595428be4fc03 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm ci --omit=dev --no-audit --no-fund

# Distroless Node 24: no shell, no package manager; runs as the image's non-root user (65532).
FROM gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY crds ./crds
USER 65532:65532
# V8 flags: src/runtime/node-flags.ts says why; the heap cap is half the Deployment's memory limit
# (ADR 0028; a test keeps the Dockerfile, node-flags.ts and the Deployment in agreement).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=4", "--max-old-space-size=128", "dist/src/cli/tripline.js"]
CMD ["run"]
