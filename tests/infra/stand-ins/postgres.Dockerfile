# Stand-in for postgres:15, built offline because no container registry is reachable here
# (tests/infra/stand-ins/index.ts): Debian bookworm's postgresql-15 on the sandboxes' debootstrapped
# worksample-base, with an entrypoint that does what docker-compose.yml relies on in the official
# image (POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, initdb into PGDATA on first start, password
# auth over TCP on 0.0.0.0:5432, pg_isready on PATH, the server running as `postgres`).
ARG BASE
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
RUN set -eu; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends postgresql-15; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /var/run/postgresql /var/lib/postgresql/data; \
    chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql; \
    chmod 2777 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
