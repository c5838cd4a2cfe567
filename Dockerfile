# Tripline operator image: built on Node 24 LTS, runs as non-root with only the compiled JS and its
# runtime dependencies. Build: docker build -t tripline:dev .
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm ci --omit=dev --no-audit --no-fund

# Distroless Node 24: no shell, no package manager; runs as the image's non-root user (65532).
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY crds ./crds
USER 65532:65532
# V8 flags: src/runtime/node-flags.ts says why (a test keeps them equal).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=4", "dist/src/cli/tripline.js"]
CMD ["run"]
