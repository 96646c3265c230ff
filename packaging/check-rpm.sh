#!/usr/bin/env bash
# Checks a built .rpm without installing it: its file list, its config files (noreplace) and
# that its scriptlets never enable or start the service.
# Usage: packaging/check-rpm.sh target/generate-rpm/duewatch-*.rpm
set -euo pipefail
rpm=${1:?usage: $0 RPM}
files=$(rpm -qlp "$rpm")
for path in /usr/bin/duewatch /usr/lib/systemd/system/duewatch.service \
  /usr/lib/sysusers.d/duewatch.conf /usr/lib/tmpfiles.d/duewatch.conf \
  /etc/duewatch/duewatch.toml /etc/duewatch/calendars/README \
  /usr/share/duewatch/templates/digest.txt.j2 /usr/share/doc/duewatch/operator.md \
  /usr/share/licenses/duewatch/holiday-cn.LICENSE /usr/share/man/man1/duewatch.1 \
  /usr/share/bash-completion/completions/duewatch /usr/share/zsh/site-functions/_duewatch \
  /usr/share/fish/vendor_completions.d/duewatch.fish; do
  grep -qx "$path" <<<"$files" || { echo "check-rpm: missing from the package: $path" >&2; exit 1; }
done
# A config file, kept on upgrade when edited (%config(noreplace)).
rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm" \
  | awk '$1 == "/etc/duewatch/duewatch.toml" && $2 ~ /c/ && $2 ~ /n/ { found = 1 } END { exit !found }' \
  || { echo "check-rpm: /etc/duewatch/duewatch.toml is not %config(noreplace)" >&2; exit 1; }
if rpm -qp --scripts "$rpm" \
  | grep -Eq '^[[:space:]]*systemctl[[:space:]]+(--[a-z-]+[[:space:]]+)*(enable|start|restart)'; then
  echo "check-rpm: a scriptlet enables or starts the service" >&2
  exit 1
fi
echo "check-rpm: $rpm is complete"
