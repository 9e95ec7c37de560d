#!/bin/sh
# Stand-in for `journalctl -o json -f` in tests that must run without systemd's tools: replays
# <--directory>/entries.jsonl (recorded real journalctl output) after --after-cursor, refuses an
# unknown cursor the way journalctl 252 does, appends its argv to <dir>/argv.log, copies
# <dir>/stderr.txt to stderr, then "follows" by sleeping until killed.
dir=
cursor=
for a in "$@"; do
  case "$a" in
    --directory=*) dir=${a#--directory=} ;;
    --after-cursor=*) cursor=${a#--after-cursor=} ;;
  esac
done
printf '%s\n' "$*" >> "$dir/argv.log"
[ -f "$dir/stderr.txt" ] && cat "$dir/stderr.txt" >&2
if [ -n "$cursor" ]; then
  n=$(grep -n -F "\"__CURSOR\":\"$cursor\"" "$dir/entries.jsonl" | head -n 1 | cut -d: -f1)
  if [ -z "$n" ]; then
    echo "Failed to seek to cursor: Invalid argument" >&2
    exit 1
  fi
  tail -n "+$((n + 1))" "$dir/entries.jsonl"
else
  cat "$dir/entries.jsonl"
fi
[ -f "$dir/exit-after-replay" ] && exit 3
exec sleep 600
