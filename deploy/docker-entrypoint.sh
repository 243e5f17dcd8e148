#!/bin/sh
# First start of the edge container: create the database and the certificates
# in the /data volume, then run whatever floorscan command was asked for.
set -e
if [ "$1" = "serve" ]; then
    [ -f "$FLOORSCAN_DATABASE" ] || floorscan init --db "$FLOORSCAN_DATABASE"
    if [ ! -f "$FLOORSCAN_TLS_DIR/server.crt" ]; then
        # The phones reach the host's LAN name/address, not the container's:
        # set FLOORSCAN_TLS_HOSTS (compose.yaml) to them.
        # localhost too: the image's HEALTHCHECK calls https://localhost.
        floorscan tls init --dir "$FLOORSCAN_TLS_DIR" --hosts ${FLOORSCAN_TLS_HOSTS:-} localhost 127.0.0.1
    fi
fi
exec floorscan "$@"
