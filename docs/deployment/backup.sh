#!/bin/sh
# Back up the central server while it serves: the database and the data dir's secrets and
# settings, into $BACKUP_DIR, one dated set a night; sets older than $KEEP_DAYS days go.
#   PostgreSQL (SYNC_SERVER_DATABASE=postgresql://...): pg_dump -Fc, restored with pg_restore.
#   SQLite (the default): SQLite's online backup, a consistent copy while workers write.
# Install as /opt/sync-server/backup.sh (mode 755); run by sync-server-backup.service.
set -eu

DATA_DIR=${SYNC_SERVER_DATA_DIR:?set SYNC_SERVER_DATA_DIR}
BACKUP_DIR=${BACKUP_DIR:?set BACKUP_DIR}
KEEP_DAYS=${KEEP_DAYS:-14}
DATABASE=${SYNC_SERVER_DATABASE:-$DATA_DIR/sync-server.db}
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
umask 077
mkdir -p "$BACKUP_DIR"

case "$DATABASE" in
  postgresql://*|postgres://*)
    pg_dump --format=custom --file="$BACKUP_DIR/database-$STAMP.dump" "$DATABASE"
    ;;
  *)
    DATABASE=${DATABASE#sqlite:///}
    # .backup copies page by page under SQLite's own locks: a consistent copy even while
    # the server writes (a plain cp of a database in WAL mode is not).
    sqlite3 "$DATABASE" ".backup '$BACKUP_DIR/database-$STAMP.db'"
    ;;
esac

# The identity key hubs check (its fingerprint), the session key and settings.toml: a
# database restored without them makes every hub refuse the server.
tar -C "$DATA_DIR" -czf "$BACKUP_DIR/data-dir-$STAMP.tar.gz" \
    --exclude='./sync-server.db*' --exclude='./signin-delays.db*' --exclude='./.startup.lock' .

find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'database-*' -o -name 'data-dir-*' \) \
    -mtime +"$KEEP_DAYS" -delete
echo "Backed up to $BACKUP_DIR: database-$STAMP and data-dir-$STAMP.tar.gz"
