#!/usr/bin/env bash
# Backup benchmark: `incus export` against the IncusBackup module (Backup-IncusInstance) on the local Incus server.
# Run as root from anywhere; see bench/README.md. Usage: bench/backup-bench.sh --help
#
# Layout (so that more sections, e.g. restore, slot in easily):
#   measure NAME CMD...   one timed run of CMD (wall time, peak RSS, CPU) into a fresh empty directory; "@DIR@" in
#                         any argument becomes that directory; results go to $RAW (one TSV line per run)
#   section_backup        the backup cases, round-robin over --runs
#   section_restore       incus import vs Restore-IncusInstance of the same archive (run with --sections backup,restore)
#   write_report          Markdown report from $RAW
set -Eeuo pipefail

usage() {
    cat <<'EOF'
Usage: bench/backup-bench.sh [options]

  --size-mib N      size of the random file written into the container (default 1024)
  --runs N          timed runs per case (default 3)
  --no-build        use the existing Release build instead of running `dotnet build -c Release`
  --workdir DIR     parent directory for the per-run output directories (default /var/tmp); put it on the
                    disk you want to measure (by default the same disk as /var/lib/incus)
  --image ALIAS     image to launch (default busybox-test; needs sh, head and sync)
  --pool NAME       storage pool for the container's root disk (default default)
  --sections LIST   comma-separated sections to run (default backup; restore is reserved, not implemented)
  -h, --help        this text

Creates an Incus project bench-<random> with one container, measures each case --runs times, deletes the
project on exit (also on failure or Ctrl+C), writes bench/results/backup-<UTC timestamp>.md and prints it.
EOF
}

SIZE_MIB=1024
RUNS=3
BUILD=1
WORK_PARENT=/var/tmp
IMAGE=busybox-test
POOL=default
SECTIONS=backup,restore

while (($#)); do
    case $1 in
        --size-mib) SIZE_MIB=${2:?--size-mib needs a value}; shift 2 ;;
        --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --workdir) WORK_PARENT=${2:?--workdir needs a value}; shift 2 ;;
        --image) IMAGE=${2:?--image needs a value}; shift 2 ;;
        --pool) POOL=${2:?--pool needs a value}; shift 2 ;;
        --sections) SECTIONS=${2:?--sections needs a value}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "--size-mib must be a positive integer" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
MODULE=./module/IncusBackup
INCUS_DIR=${INCUS_DIR:-/var/lib/incus}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS_DIR=$REPO/bench/results
REPORT=$RESULTS_DIR/backup-$STAMP.md
CT=bench1
PROJECT=bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Setup commands run, in order, for the report.
COMMANDS=()
record_cmd() { COMMANDS+=("$*"); }
# Runs a setup command, echoing it to the log and recording it for the report.
run() { record_cmd "$(quote "$@")"; log "+ $(quote "$@")"; "$@"; }
# Shell-quotes arguments readably: bare when safe, else in single quotes.
quote() {
    local a out=()
    for a in "$@"; do
        if [[ $a =~ ^[][A-Za-z0-9_@%+=:,./-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
    done
    echo "${out[*]}"
}

# ---------------------------------------------------------------------------------------------- cleanup
PROJECT_CREATED=0
SAMPLER_PID=
WORK=
cleanup() {
    local rc=$?
    set +e
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
    if ((PROJECT_CREATED)) && incus project show "$PROJECT" >/dev/null 2>&1; then
        log "cleaning up project $PROJECT"
        local i
        for i in $(incus list --project "$PROJECT" -c n -f csv 2>/dev/null); do
            incus delete --force "$i" --project "$PROJECT" >/dev/null
        done
        incus profile delete benchprof --project "$PROJECT" >/dev/null 2>&1
        incus profile device remove default root --project "$PROJECT" >/dev/null 2>&1
        incus project delete "$PROJECT" >/dev/null || log "WARNING: could not delete project $PROJECT; delete it by hand"
    fi
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------- measure
RAW=                  # TSV: case run wall_s maxrss_kib user_s sys_s out_bytes dir_bytes server_peak_bytes load1
CASES=()              # case names in first-seen order
declare -A CASE_CMD=() CASE_COMP=() CASE_KIND=()

# Peak apparent size of the server's backup directory for our instance, sampled every 0.05 s (writes $1).
sample_server_disk() {
    local out=$1 dir=$INCUS_DIR/backups/instances/${PROJECT}_$CT peak=0 s
    echo 0 >"$out"
    while :; do
        s=$(du -sb "$dir" 2>/dev/null | cut -f1) || s=0
        if ((${s:-0} > peak)); then peak=$s; echo "$peak" >"$out"; fi
        sleep 0.05
    done
}

# measure [--kind K] [--comp C] NAME CMD...
#   Runs CMD once under /usr/bin/time in a fresh empty directory ("@DIR@" in CMD is replaced by it), fails the
#   benchmark if CMD fails, records wall time, peak RSS of the client, CPU, the largest output file's size and
#   the peak server-side backup disk use, then deletes the directory.
#   --kind: "backup" (default; output file sizes are recorded) or anything else (sizes left empty).
#   --comp: compression label for the table. Untimed preparation belongs in the caller, around the call.
measure() {
    local kind=backup comp=
    while [[ $1 == --* ]]; do
        case $1 in --kind) kind=$2 ;; --comp) comp=$2 ;; esac
        shift 2
    done
    local name=$1; shift
    local dir; dir=$(mktemp -d "$WORK/run.XXXXXX")
    local args=() a
    for a in "$@"; do args+=("${a//@DIR@/$dir}"); done
    if [[ -z ${CASE_CMD[$name]+x} ]]; then
        CASES+=("$name")
        CASE_CMD[$name]=$(quote "$@"); CASE_CMD[$name]=${CASE_CMD[$name]//@DIR@/<DIR>}
        CASE_COMP[$name]=$comp
        CASE_KIND[$name]=$kind
    fi
    local run; run=$(($(awk -F'\t' -v n="$name" '$1==n' "$RAW" | wc -l) + 1))
    local load; load=$(cut -d' ' -f1 /proc/loadavg)
    local tfile=$WORK/time.out logf=$WORK/cmd.log peakf=$WORK/server-peak
    sample_server_disk "$peakf" & SAMPLER_PID=$!
    local rc=0
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "${args[@]}" >"$logf" 2>&1 || rc=$?
    kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=
    if ((rc != 0)); then
        tail -n 20 "$logf" | tr '\r' '\n' | tail -n 20 >&2
        die "'$name' failed (exit $rc): $(quote "${args[@]}")"
    fi
    local wall rss user sys
    read -r wall rss user sys < <(tail -n 1 "$tfile")
    local out_bytes= dir_bytes=
    if [[ $kind == backup ]]; then
        out_bytes=$(find "$dir" -type f -printf '%s\n' | sort -n | tail -n 1)
        dir_bytes=$(find "$dir" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    fi
    local server_peak; server_peak=$(cat "$peakf")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$wall" "$rss" "$user" "$sys" \
        "$out_bytes" "$dir_bytes" "$server_peak" "$load" >>"$RAW"
    log "  $name #$run: ${wall} s, client peak RSS $((rss / 1024)) MiB${out_bytes:+, output $out_bytes B}, server peak $server_peak B (load $load)"
    rm -rf "$dir"
    # The server must not keep backups around after either client is done.
    local left; left=$(incus query "/1.0/instances/$CT/backups?project=$PROJECT" | grep -c '"/1.0/' || true)
    ((left == 0)) || log "  WARNING: $left server-side backup(s) left on $CT after '$name'"
}

# ---------------------------------------------------------------------------------------------- sections
PWSH=(pwsh -NoProfile -NonInteractive -Command)

# The backup cases, by index (0..BACKUP_CASES-1).
BACKUP_CASES=7
backup_case() {
    case $1 in
        0) measure --comp "server default ($SERVER_COMP)" "incus export (defaults)" \
               incus export "$CT" @DIR@/backup.tar.gz --project "$PROJECT" ;;
        1) measure --comp zstd "incus export --compression zstd" \
               incus export "$CT" @DIR@/backup.tar.zst --project "$PROJECT" --compression zstd ;;
        2) measure --comp "module default (zstd)" "Backup-IncusInstance (defaults)" \
               "${PWSH[@]}" "Import-Module $MODULE; Backup-IncusInstance -Name $CT -Project $PROJECT -Target dir:@DIR@ | Out-Null" ;;
        3) measure --comp gzip "Backup-IncusInstance -Compression gzip" \
               "${PWSH[@]}" "Import-Module $MODULE; Backup-IncusInstance -Name $CT -Project $PROJECT -Target dir:@DIR@ -Compression gzip | Out-Null" ;;
        4) measure --comp zstd "Backup-IncusInstance -Compression zstd" \
               "${PWSH[@]}" "Import-Module $MODULE; Backup-IncusInstance -Name $CT -Project $PROJECT -Target dir:@DIR@ -Compression zstd | Out-Null" ;;
        5) measure --kind startup "PowerShell start-up + Import-Module only" \
               "${PWSH[@]}" "Import-Module $MODULE" ;;
        # The module fsyncs the archive before it lists the backup; incus export leaves it in the page cache.
        # This row gives incus the same durability.
        6) measure --comp zstd "incus export --compression zstd + sync" \
               sh -c "incus export '$CT' @DIR@/backup.tar.zst --project '$PROJECT' --compression zstd --quiet && sync" ;;
    esac
}

section_backup() {
    local r i
    for ((r = 0; r < RUNS; r++)); do
        log "backup round $((r + 1))/$RUNS"
        # Every case once per round, the starting case rotating each round, so that drifting background load
        # (and any after-effects of the previous case) hit every case alike.
        for ((i = 0; i < BACKUP_CASES; i++)); do backup_case $(((i + r) % BACKUP_CASES)); done
    done
}

# The restore cases: the same archive (one module backup, taken untimed first) restored by `incus import` and by
# Restore-IncusInstance, plus Restore-IncusInstance with a profile mapping, which streams the archive through the
# YAML rewriter (plain tar out) instead of sending the file as it is.
section_restore() {
    local repo=$WORK/restore-repo archive r
    log "restore: taking the backup to restore (untimed)"
    run "${PWSH[@]}" "Import-Module $MODULE; Backup-IncusInstance -Name $CT -Project $PROJECT -Target dir:$repo | Out-Null" >&2
    archive=$(find "$repo/instances" -name 'export.tar.*' | head -n 1)
    [[ -n $archive ]] || die "the module backup for the restore section is missing"
    run incus profile copy default benchprof --project "$PROJECT" >&2
    for ((r = 1; r <= RUNS; r++)); do
        log "restore round $r/$RUNS"
        measure --kind restore --comp "$(basename "$archive")" "incus import (same archive)" \
            incus import "$archive" restored --project "$PROJECT"
        incus delete --force restored --project "$PROJECT"
        measure --kind restore --comp "$(basename "$archive")" "Restore-IncusInstance -NewName" \
            "${PWSH[@]}" "Import-Module $MODULE; Restore-IncusInstance -Name $CT -Project $PROJECT -Target dir:$repo -NewName restored | Out-Null"
        incus delete --force restored --project "$PROJECT"
        measure --kind restore --comp "rewritten to plain tar" "Restore-IncusInstance -NewName -ProfileMap" \
            "${PWSH[@]}" "Import-Module $MODULE; Restore-IncusInstance -Name $CT -Project $PROJECT -Target dir:$repo -NewName restored -ProfileMap @{ default = 'benchprof' } | Out-Null"
        incus delete --force restored --project "$PROJECT"
    done
}

# ---------------------------------------------------------------------------------------------- report
# col_stat CASE COLUMN min|median  (columns: 3 wall, 4 rss KiB, 5 user, 6 sys, 7 out bytes, 9 server peak)
col_stat() {
    awk -F'\t' -v n="$1" -v c="$2" '$1==n && $c!="" {print $c}' "$RAW" | sort -g | awk -v how="$3" '
        {v[NR]=$1}
        END {
            if (NR == 0) { print ""; exit }
            if (how == "min") { print v[1]; exit }
            if (NR % 2) print v[(NR+1)/2]; else printf "%.15g\n", (v[NR/2] + v[NR/2+1]) / 2
        }'
}
cpu_median() {
    awk -F'\t' -v n="$1" '$1==n {print $5 + $6}' "$RAW" | sort -g |
        awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2}'
}
fmt_bytes() { if [[ -n $1 ]]; then awk -v b="$1" 'BEGIN {printf "%.0f", b}' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' | tr -d '\n'; else printf '—'; fi; }

write_report() {
    local startup_case="PowerShell start-up + Import-Module only"
    local startup; startup=$(col_stat "$startup_case" 3 median)
    {
        echo "# IncusBackup backup benchmark — $STAMP"
        echo
        echo "Container \`$CT\` ($IMAGE, running, no snapshots) with a ${SIZE_MIB} MiB file from /dev/urandom"
        echo "(incompressible), $RUNS run(s) per case, cases interleaved round-robin (starting case rotating each round), each run into a fresh empty"
        echo "directory under \`$WORK_PARENT\`. Client and server on the same host."
        echo
        echo "## Machine"
        echo
        echo "| | |"
        echo "|---|---|"
        echo "| CPU | $(nproc) × $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo) |"
        echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) total, $(awk '/MemAvailable/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) available at the end |"
        echo "| kernel | $(uname -r) ($(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown OS}")) |"
        echo "| Incus | client $(incus version | sed -n 's/^Client version: //p'), server $(incus version | sed -n 's/^Server version: //p'); pool \`$POOL\` driver $(incus storage show "$POOL" | sed -n 's/^driver: //p'); backups.compression_algorithm = ${SERVER_COMP_RAW:-(unset → gzip)} |"
        echo "| .NET | SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}') |"
        echo "| module | IncusBackup $(sed -n "s/.*ModuleVersion *= *'\(.*\)'.*/\1/p" module/IncusBackup/IncusBackup.psd1), repo commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]] && echo ' (+ uncommitted changes)') |"
        echo "| disk | output dir: $(df -h --output=avail,size,source "$WORK_PARENT" | tail -n 1 | awk '{print $1 " free of " $2 " on " $3}'); $INCUS_DIR: $(df -h --output=avail,source "$INCUS_DIR" | tail -n 1 | awk '{print $1 " free on " $2}')$SAME_DISK_NOTE |"
        echo "| load average | start: $LOAD_START; end: $(cut -d' ' -f1-3 /proc/loadavg) |"
        echo "| test data | written in ${WRITE_SECONDS} s |"
        echo
        echo "## Results"
        echo
        echo "Wall time = client process start to exit (\`/usr/bin/time %e\`). The module rows run in a fresh \`pwsh\`"
        echo "$(pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()'), so they **include pwsh start-up and"
        echo "Import-Module**; the last row measures that alone (median ${startup:-?} s), and *excl. start-up* subtracts it."
        echo "Peak RSS = max resident set of the client process (\`%M\`), not of incusd. Output = size of the backup file"
        echo "(the module also writes a manifest, checksums and repository metadata, a few KiB). Server peak = largest"
        echo "apparent size of \`$INCUS_DIR/backups/instances/${PROJECT}_$CT\` sampled every 0.05 s (the server-side copy;"
        echo "on the same disk it adds to the client's copy)."
        echo
        echo "| case | compression | wall min (s) | wall median (s) | excl. start-up (s) | client CPU median (s) | peak RSS median (MiB) | output (bytes) | server peak (bytes) |"
        echo "|---|---|--:|--:|--:|--:|--:|--:|--:|"
        local c excl rss
        for c in "${CASES[@]}"; do
            excl='—'
            # Only module rows (a fresh pwsh each) carry the start-up to subtract.
            if [[ ${CASE_CMD[$c]} == pwsh* && ${CASE_KIND[$c]} != startup && -n $startup ]]; then
                excl=$(awk -v a="$(col_stat "$c" 3 median)" -v b="$startup" 'BEGIN {printf "%.2f", a - b}')
            fi
            rss=$(awk -v k="$(col_stat "$c" 4 median)" 'BEGIN {printf "%.0f", k / 1024}')
            echo "| $c | ${CASE_COMP[$c]:-—} | $(col_stat "$c" 3 min) | $(col_stat "$c" 3 median) | $excl | $(cpu_median "$c") | $rss | $(fmt_bytes "$(col_stat "$c" 7 median)") | $(fmt_bytes "$(col_stat "$c" 9 median)") |"
        done
        echo
        echo "<details><summary>Raw runs</summary>"
        echo
        echo "| case | run | wall (s) | peak RSS (KiB) | user (s) | sys (s) | output (bytes) | output dir total (bytes) | server peak (bytes) | load1 at start |"
        echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        awk -F'\t' 'BEGIN {OFS=" | "} {print "| " $1, $2, $3, $4, $5, $6, ($7 == "" ? "—" : $7), ($8 == "" ? "—" : $8), $9, $10 " |"}' "$RAW"
        echo
        echo "</details>"
        echo
        echo "## Commands"
        echo
        echo "Setup (untimed), then each case timed as \`/usr/bin/time -f '%e %M %U %S' -o <file> CMD\`, run from \`$REPO\`,"
        echo "\`<DIR>\` standing for a new empty directory per run (deleted after its size is taken):"
        echo
        echo '```sh'
        printf '%s\n' "${COMMANDS[@]}"
        echo
        for c in "${CASES[@]}"; do echo "${CASE_CMD[$c]}"; done
        echo
        echo "# at exit"
        echo "incus delete --force $CT --project $PROJECT; incus project delete $PROJECT"
        echo '```'
        echo
        echo "Benchmark command: \`bench/backup-bench.sh $ORIG_ARGS\`"
    } >"$REPORT"
}

# ---------------------------------------------------------------------------------------------- main
ORIG_ARGS="--size-mib $SIZE_MIB --runs $RUNS --sections $SECTIONS"
((BUILD)) || ORIG_ARGS+=" --no-build"
[[ $EUID -eq 0 ]] || die "run as root (needs the Incus socket and apt-get for /usr/bin/time)"
if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time"
    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
command -v incus >/dev/null || die "incus not found"
incus info >/dev/null || die "cannot reach the Incus server"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

if ((BUILD)); then
    log "building (Release)"
    dotnet build IncusBackup.PowerShell.sln -c Release -nologo -v quiet >&2
fi
PATH="$PATH:$(bash scripts/setup-pwsh.sh)"
command -v pwsh >/dev/null || die "pwsh is missing (scripts/setup-pwsh.sh installs it)"
[[ -f module/IncusBackup/IncusBackup.psd1 ]] || die "module/IncusBackup missing (build without --no-build)"

for s in ${SECTIONS//,/ }; do
    declare -F "section_$s" >/dev/null || die "unknown section '$s' (backup, restore)"
done
mkdir -p "$WORK_PARENT" "$RESULTS_DIR"
WORK=$(mktemp -d "$WORK_PARENT/incus-bench.XXXXXX")
RAW=$WORK/raw.tsv; : >"$RAW"
SAME_DISK_NOTE=
[[ $(stat -c %d "$WORK") == $(stat -c %d "$INCUS_DIR") ]] && SAME_DISK_NOTE=" (same filesystem)" ||
    SAME_DISK_NOTE=" (different filesystems)"
# The client copy, the server's temporary copy and the container's data all need room.
need_kib=$(( SIZE_MIB * 1024 * 3 + 1024 * 1024 ))
avail_kib=$(df --output=avail "$WORK" | tail -n 1)
((avail_kib > need_kib)) || die "not enough disk: need about $((need_kib / 1024)) MiB free in $WORK_PARENT, have $((avail_kib / 1024))"
SERVER_COMP_RAW=$(incus config get backups.compression_algorithm 2>/dev/null || true)
SERVER_COMP=${SERVER_COMP_RAW:-gzip}
[[ -z $(incus config get storage.backups_volume 2>/dev/null || true) ]] ||
    log "WARNING: storage.backups_volume is set; the server peak column samples $INCUS_DIR/backups and will read 0"

log "project $PROJECT, container $CT, ${SIZE_MIB} MiB of random data"
PROJECT_CREATED=1   # before creating: an interrupt during the create must still clean up
run incus project create "$PROJECT" -c features.images=false -c features.profiles=true >&2
run incus profile device add default root disk path=/ pool="$POOL" --project "$PROJECT" >&2
run incus launch "$IMAGE" "$CT" --project "$PROJECT" >&2
t0=$(date +%s.%N)
run incus exec "$CT" --project "$PROJECT" -- sh -c "head -c $((SIZE_MIB * 1048576)) /dev/urandom > /root/random.bin; sync"
WRITE_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')

for s in ${SECTIONS//,/ }; do "section_$s"; done

write_report
cat "$REPORT"
echo
echo "Report: $REPORT"
