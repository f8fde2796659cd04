# Stand-in for node:20-bookworm-slim, built offline because no container registry is reachable here
# (tests/infra/stand-ins/index.ts). Debian bookworm (the sandboxes' debootstrapped worksample-base)
# plus the host's own Node 20 and npm, laid out as the official image lays them out: /usr/local/bin,
# /usr/local/lib/node_modules/npm, /usr/local/include/node, a `node` user with uid/gid 1000.
# The host's CA bundle comes along: outgoing TLS may be intercepted on this network, and the app's
# Dockerfile runs `npm ci`. npm builds native addons against the copied headers (nothing downloaded),
# except better-sqlite3, whose prebuilt binary (downloaded from GitHub where that answers) waits in
# prebuild-install's download cache, made from the host's build.
ARG BASE
FROM ${BASE}
COPY node/bin/node /usr/local/bin/node
COPY node/lib/node_modules/npm /usr/local/lib/node_modules/npm
COPY node/include/node /usr/local/include/node
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY npmrc /usr/local/etc/npmrc
COPY prebuilds /root/.npm/_prebuilds
RUN set -eu; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    groupadd -g 1000 node; \
    useradd -u 1000 -g node -d /home/node -m -s /bin/bash node; \
    test "$(command -v node)" = /usr/local/bin/node; \
    node --version; npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
