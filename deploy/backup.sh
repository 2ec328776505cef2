#!/usr/bin/env bash
# Nightly backup: a consistent PostgreSQL dump and the photo directory, kept for BACKUP_DAYS days.
# Copy BACKUP_DIR off the machine (the city's backup system, or rsync to another host) — a backup
# on the same disk is not a backup.
set -euo pipefail
BACKUP_DIR=${BACKUP_DIR:-/var/backups/madoguchi}
BACKUP_DAYS=${BACKUP_DAYS:-14}
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$BACKUP_DIR"
pg_dump --format=custom --file="$BACKUP_DIR/db-$stamp.dump" "$DATABASE_URL"
tar --create --gzip --file="$BACKUP_DIR/media-$stamp.tar.gz" --directory="$(dirname "$MEDIA_DIR")" "$(basename "$MEDIA_DIR")"
find "$BACKUP_DIR" -type f -mtime +"$BACKUP_DAYS" -delete
