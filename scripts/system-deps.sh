#!/usr/bin/env bash
# Debian packages the test suite drives for real, and nothing else:
#   chromium                 the browser tests (Playwright drives /usr/bin/chromium; no chromedriver)
#   fonts-noto-cjk           Korean text in those pages renders as glyphs, not empty boxes
#   postgresql               the second store backend (a throw-away cluster per test session)
#   openjdk-17-jre-headless  Spark (Java 17 is usually there already)
# Each is looked for first, so when everything is present this does nothing (no apt).
# It installs what is missing when it can (root + apt-get), shows apt's own error when
# apt fails, and otherwise names what is missing and which tests will skip for it.
set -u
need=()
why=()
[ -x /usr/bin/chromium ] || { need+=(chromium); why+=("browser tests"); }
if ! ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 \
   && ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=ko family | grep -q .; }; then
  need+=(fonts-noto-cjk); why+=("the Korean browser test")
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { need+=(postgresql); why+=("PostgreSQL tests"); }
command -v java >/dev/null 2>&1 || { need+=(openjdk-17-jre-headless); why+=("Spark tests"); }
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
IFS=, ; skipping="${why[*]}" ; unset IFS
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} (not root or no apt-get); these will skip: ${skipping}" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get update -qq >"$log" 2>&1; then
  echo "system-deps: apt-get update failed (installing from the current lists):" >&2
  cat "$log" >&2
fi
if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >"$log" 2>&1; then
  echo "system-deps: apt-get could not install ${need[*]}; these will skip: ${skipping}. apt said:" >&2
  tail -n 25 "$log" >&2
fi
exit 0
