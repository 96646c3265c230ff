#!/usr/bin/env bash
# The generated files the packages ship, from the release binary's own clap definitions:
# man pages into target/assets/man/ and bash, zsh and fish completions into
# target/assets/completions/. Run after `cargo build --release`, before `cargo deb --no-build`
# and `cargo generate-rpm`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/duewatch
rm -rf target/assets
"$bin" generate man target/assets/man >/dev/null
for shell in bash zsh fish; do
  "$bin" generate completions "$shell" target/assets/completions >/dev/null
done
ls target/assets/man/duewatch.1 target/assets/completions/{duewatch.bash,_duewatch,duewatch.fish} >/dev/null
