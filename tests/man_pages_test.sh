#!/bin/bash
# Keeps docs/man from going stale: every subcommand `ferry --help` lists (and
# their subcommands) has docs/man/ferry-CMD[-SUB].1, and every long flag its
# --help prints appears in that page (roff's \- read as -, font escapes dropped).
# Usage: man_pages_test.sh FERRY_BINARY MAN_DIR
set -euo pipefail
ferry=$1
man_dir=$2
failures=0

subcommands() {  # the names under "Subcommands:" in a help text
  awk '/^Subcommands:/ {in_list=1; next} in_list && /^  [a-z]/ {print $1} in_list && /^$/ {in_list=0}'
}

check() {  # check WORDS...: the command "ferry WORDS..." and its subcommands
  local help page flag
  help=$("$ferry" "$@" --help)
  page="$man_dir/ferry-$(IFS=-; echo "$*").1"
  if [ ! -f "$page" ]; then
    echo "missing man page $page for 'ferry $*'"
    failures=$((failures + 1))
  else
    local text
    text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page")
    for flag in $(echo "$help" | grep -oE -- '--[a-zA-Z][a-zA-Z0-9.-]*' | sort -u); do
      if ! grep -qE -- "(^|[^a-zA-Z0-9.-])${flag//./\\.}([^a-zA-Z0-9-]|\$)" <<<"$text"; then
        echo "$page lacks $flag (printed by 'ferry $* --help')"
        failures=$((failures + 1))
      fi
    done
  fi
  local sub
  for sub in $(echo "$help" | subcommands); do
    check "$@" "$sub"
  done
}

top=$("$ferry" --help)
count=0
for cmd in $(echo "$top" | subcommands); do
  check "$cmd"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "no subcommands found in 'ferry --help'"; exit 1; }
[ "$failures" -eq 0 ] || { echo "$failures man page problem(s)"; exit 1; }
echo "man pages OK: $count commands"
