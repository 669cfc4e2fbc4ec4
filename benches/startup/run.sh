#!/usr/bin/env bash
# Startup: `netscript -e '0'` against `python3 -c pass` and `node -e 0`, same run, by
# hyperfine. Target: netscript's median ≤ 0.1 × python3's. Also reports the release
# binary's size and the idle REPL's resident memory (target ≤ 25 MB).
source "$(dirname "$0")/../lib.sh"
ensure_netscript
ensure_tool hyperfine
out=$(mktemp -d)
cmds=("$NETSCRIPT -e 0" "python3 -c pass")
command -v node >/dev/null && cmds+=("node -e 0")
hyperfine -N --warmup 5 --runs 60 --export-json "$out/startup.json" "${cmds[@]}" >/dev/null
ns=$(median_ms "$out/startup.json" 0)
py=$(median_ms "$out/startup.json" 1)
echo "machine: $(machine)"
echo "startup median: netscript ${ns} ms, python3 ${py} ms$( [ ${#cmds[@]} -gt 2 ] && echo ", node $(median_ms "$out/startup.json" 2) ms")"
python3 -c "ns,py=$ns,$py; print(f'ratio netscript/python3 = {ns/py:.3f} (target <= 0.100) -> {\"PASS\" if ns/py <= 0.1 else \"FAIL\"}')"
echo "release binary: $(du -h "$NETSCRIPT" | cut -f1) ($(stat -c %s "$NETSCRIPT") bytes)"
# Idle REPL RSS: start it on a pseudo-terminal, let it settle, read VmRSS.
if command -v script >/dev/null; then
    ( sleep 3 ) | script -qfec "$NETSCRIPT" /dev/null >/dev/null 2>&1 &
    sleep 1.5
    # The REPL is the child of `script`, found by parent PID, not by name.
    script_pid=$(pgrep -n -x script || true)
    pid=$( [ -n "$script_pid" ] && pgrep -P "$script_pid" | head -1 || true)
    if [ -n "$pid" ]; then
        echo "idle REPL RSS: $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$pid/status) (target <= 25 MB)"
    fi
    wait || true
fi
rm -rf "$out"
