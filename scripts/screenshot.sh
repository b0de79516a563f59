#!/usr/bin/env bash
# Screenshots the app under a private Xvfb at 1600x1000 (Xvfb, xdotool and imagemagick: scripts/setup-debian.sh --headless).
#   scripts/screenshot.sh OUT.png [spotcheck args...]
#   CLICK="x y" clicks there (window coordinates) before the shot, CLICK="x y;x y" clicks in turn;
#   An entry "key K" presses key K instead (xdotool names: 2, ctrl+z), "move x y" only moves the
#   pointer there, "ctrl x y" ctrl-clicks. WAIT=seconds before the first click.
# Needs: apt-get install -y --no-install-recommends xvfb x11-utils imagemagick xdotool
set -euo pipefail
OUTPNG=$1; shift
BIN=${BIN:-target/release/spotcheck}
TITLE=${TITLE:-spotcheck}
WAIT=${WAIT:-3}
FD_FILE=$(mktemp)
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$FD_FILE" 2>/dev/null & XVFB_PID=$!
for _ in $(seq 50); do [ -s "$FD_FILE" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$FD_FILE")"; rm -f "$FD_FILE"
"$BIN" "$@" > /tmp/spotcheck-screenshot.log 2>&1 & APP_PID=$!
for _ in $(seq 100); do xwininfo -root -tree | grep -qF "\"$TITLE\"" && break; sleep 0.1; done
sleep "$WAIT"
WID=$(xdotool search --name "^$TITLE$" | head -1)
# The window at the full 1600x1000 of the virtual screen.
[ -n "$WID" ] && xdotool windowsize "$WID" 1600 1000 && sleep 1
if [ -n "${CLICK:-}" ] && [ -n "$WID" ]; then
  IFS=';' read -ra CLICKS <<<"$CLICK"
  for at in "${CLICKS[@]}"; do
    # shellcheck disable=SC2086
    case "$at" in
      key\ *) xdotool windowfocus "$WID" 2>/dev/null; xdotool key ${at#key } ;;
      move\ *) xdotool mousemove --window "$WID" ${at#move } ;;
      ctrl\ *) xdotool mousemove --window "$WID" ${at#ctrl }; xdotool windowfocus "$WID" 2>/dev/null; xdotool keydown ctrl; sleep 0.3; xdotool click 1; sleep 0.3; xdotool keyup ctrl ;;
      *) xdotool mousemove --window "$WID" $at click 1 ;;
    esac
    sleep "${AFTER_CLICK:-3}"
  done
fi
import -window "${WID:-root}" "$OUTPNG"
kill "$APP_PID" 2>/dev/null; wait "$APP_PID" 2>/dev/null || true
kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null || true
echo "wrote $OUTPNG"
