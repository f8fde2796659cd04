# worksample server image.
#   docker build -t worksample .          (or: docker-compose up --build, see docker-compose.yml)
# The server runs its TypeScript through tsx (a runtime dependency), so the final stage keeps
# production node_modules only; native modules (better-sqlite3) are compiled in the build stage
# when no prebuilt binary can be fetched, and copied over ready-made.

# ---- build: install everything, build the web app, drop dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Toolchain for node-gyp, used only if better-sqlite3's prebuilt binary can't be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Source maps (35 MB) stay out of the image: they are never served (server/http/static.ts).
# Web-only packages (Monaco, Preact…) are devDependencies, so the prune drops them too.
RUN npm run build:web \
 && find web/dist -name '*.map' -delete \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: same base (same glibc/Node ABI as the compiled modules), no toolchain
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
# Code stays root-owned (read-only for the server); only the data directory is writable.
COPY --from=build /app /app
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/worksample.js", "serve"]
