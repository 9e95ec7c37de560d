#!/usr/bin/env bash
# Installs the Debian packages the interop tests run (they start them on loopback themselves).
# `bash .ci/peers.sh` installs the list below; extra package names may be passed as arguments.
# syslog-ng conflicts with rsyslog in apt, so its .debs are downloaded and extracted under
# /opt/vigil-peers/syslog-ng instead of installed (the tests run it with LD_LIBRARY_PATH).
set -euo pipefail

packages=(
  rsyslog       # test/interop/syslog.test.ts: omfwd to Vigil's syslog source
  prometheus    # test/interop/prometheus.test.ts, scrape.test.ts: remote_write to Vigil, same scrapes; promtool queries both
  prometheus-node-exporter      # test/interop/node-exporter.test.ts: same host, same metric values
  prometheus-blackbox-exporter  # test/interop/blackbox.test.ts: same targets, same verdicts
  dnsmasq                       # test/interop/blackbox.test.ts: a real DNS server on loopback for the dns probes
  iputils-ping                  # the icmp probe runs the system ping
  systemd-journal-remote        # test/interop/journald.test.ts: writes real journal files that journalctl follows
  rsyslog-elasticsearch         # test/interop/elasticsearch.test.ts: omelasticsearch → Vigil's elasticsearch source
  libcurl4                      # linked by syslog-ng's http module (extracted below)
)

need=()
for p in "${packages[@]}" "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
updated=0
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# syslog-ng from extracted .debs: the core package and the libraries it links that are not
# already on the machine (on Debian 12: libivykis0, libnet1, libpcre3, libwrap0, whatever its
# Depends names). libpcre3 unpacks into /lib/<triplet>, the others into /usr/lib/<triplet>.
SNG_ROOT=/opt/vigil-peers/syslog-ng
if [ ! -x "$SNG_ROOT/usr/sbin/syslog-ng" ]; then
  [ "$updated" = 1 ] || apt-get update -qq
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    apt-get download -qq syslog-ng-core
    # The library packages syslog-ng-core depends on that are not installed here.
    deps=$(dpkg-deb -f syslog-ng-core_*.deb Depends | tr ',' '\n' | sed -e 's/[|].*//' -e 's/(.*)//' -e 's/ //g' | grep -v '^$' || true)
    for d in $deps; do
      case "$d" in
        debconf*|lsb-base|init-system-helpers|util-linux|adduser) continue ;;
      esac
      dpkg -s "$d" >/dev/null 2>&1 || apt-get download -qq "$d" || echo "peers.sh: could not download $d" >&2
    done
    mkdir -p "$SNG_ROOT"
    for f in ./*.deb; do dpkg-deb -x "$f" "$SNG_ROOT"; done
  ) || echo "peers.sh: WARNING: could not fetch syslog-ng; its interop tests will skip" >&2
fi
# syslog-ng's http module and its SCL (elasticsearch-http()); both depend only on syslog-ng-core.
if [ ! -e "$SNG_ROOT/usr/lib/syslog-ng/3.38/libhttp.so" ] || [ ! -e "$SNG_ROOT/usr/share/syslog-ng/include/scl/elasticsearch/elastic-http.conf" ]; then
  [ "$updated" = 1 ] || apt-get update -qq
  work2=$(mktemp -d)
  ( cd "$work2" && apt-get download -qq syslog-ng-mod-http syslog-ng-scl && for f in ./*.deb; do dpkg-deb -x "$f" "$SNG_ROOT"; done ) \
    || echo "peers.sh: WARNING: could not fetch syslog-ng-mod-http/syslog-ng-scl; syslog-ng elasticsearch interop tests will skip" >&2
  rm -rf "$work2"
fi
libdir=$(echo "$SNG_ROOT"/usr/lib/*-linux-gnu)
if LD_LIBRARY_PATH="$libdir:$SNG_ROOT/lib/$(basename "$libdir"):$SNG_ROOT/usr/lib/syslog-ng" "$SNG_ROOT/usr/sbin/syslog-ng" --version >/dev/null 2>&1; then
  echo "peers.sh: syslog-ng runs from $SNG_ROOT"
else
  echo "peers.sh: WARNING: extracted syslog-ng does not run; its interop tests will skip:" >&2
  LD_LIBRARY_PATH="$libdir:$SNG_ROOT/lib/$(basename "$libdir"):$SNG_ROOT/usr/lib/syslog-ng" "$SNG_ROOT/usr/sbin/syslog-ng" --version 2>&1 | head -5 >&2 || true
fi
