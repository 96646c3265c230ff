#!/usr/bin/env bash
# Checks a built .deb without installing it: unpacks it into a temporary root (dpkg-deb -x),
# asserts the files the package must ship, runs the unpacked binary's `config check` on the
# unpacked example config, and runs lintian (errors fail; warnings are shown).
# Usage: packaging/check-deb.sh target/debian/duewatch_*.deb
set -euo pipefail
deb=${1:?usage: $0 DEB}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"

expected=(
  usr/bin/duewatch
  usr/lib/systemd/system/duewatch.service
  usr/lib/sysusers.d/duewatch.conf
  usr/lib/tmpfiles.d/duewatch.conf
  etc/duewatch/duewatch.toml
  etc/duewatch/calendars/README
  usr/share/duewatch/templates/digest.txt.j2
  usr/share/duewatch/templates/digest.html.j2
  usr/share/duewatch/templates/digest.subject.j2
  usr/share/duewatch/templates/admin.txt.j2
  usr/share/duewatch/templates/admin.subject.j2
  usr/share/doc/duewatch/README.md
  usr/share/doc/duewatch/operator.md
  usr/share/doc/duewatch/reference.md
  usr/share/doc/duewatch/copyright
  usr/share/doc/duewatch/changelog.Debian.gz
  usr/share/man/man1/duewatch.1.gz
  usr/share/man/man1/duewatch-db-backup.1.gz
  usr/share/bash-completion/completions/duewatch
  usr/share/zsh/vendor-completions/_duewatch
  usr/share/fish/vendor_completions.d/duewatch.fish
)
missing=0
for path in "${expected[@]}"; do
  if [ ! -e "$root/$path" ]; then
    echo "check-deb: missing from the package: /$path" >&2
    missing=1
  fi
done
[ "$missing" = 0 ]
# The holiday data's licence (MIT, holiday-cn) is in the copyright file.
grep -q 'NateScarlet' "$root/usr/share/doc/duewatch/copyright"
# The example config is a conffile: an upgrade never overwrites the administrator's edits.
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/duewatch/duewatch.toml
# The maintainer scripts never enable or start the service (the message saying how may).
if dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst \
  | grep -Eq '^[[:space:]]*(systemctl|deb-systemd-invoke)[[:space:]]+(--[a-z-]+[[:space:]]+)*(enable|start|restart)'; then
  echo "check-deb: the postinst enables or starts the service" >&2
  exit 1
fi

# The shipped example config passes `config check` as shipped, run from the unpacked root. Its
# paths are the installed ones: the calendar directory and the mail directory are pointed into
# the temporary root, and the database is a SQLite file there (nothing under /etc or /var of
# this machine is read or written).
"$root/usr/bin/duewatch" --version
env -i PATH=/usr/bin:/bin \
  DUEWATCH__CALENDAR__DIR="$root/etc/duewatch/calendars" \
  DUEWATCH__DATABASE__URL="sqlite://$root/var/lib/duewatch/duewatch.db" \
  DUEWATCH__MAIL__FILE__DIR="$root/var/lib/duewatch/mail" \
  "$root/usr/bin/duewatch" --config "$root/etc/duewatch/duewatch.toml" config check

lintian --fail-on error "$deb"
echo "check-deb: $deb is complete and lintian-clean (errors)"
