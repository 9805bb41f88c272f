#!/usr/bin/env bash
# Backup benchmark: `incus export` against the IncusBackup module (Backup-IncusInstance) on the local Incus server,
# and the module's sha256 path against sha256sum (section hash, no Incus needed).
# Run as root from anywhere; see bench/README.md. Usage: bench/backup-bench.sh --help
#
# Layout (so that more sections, e.g. restore, slot in easily):
#   measure NAME CMD...   one timed run of CMD (wall time, peak RSS, CPU) into a fresh empty directory; "@DIR@" in
#                         any argument becomes that directory; results go to $RAW (one TSV line per run)
#   section_backup        the backup cases, round-robin over --runs
#   section_restore       incus import vs Restore-IncusInstance of the same archive (run with --sections backup,restore)
#   section_hash          sha256sum / openssl dgst vs the module's HashingStream (bench/hash-module.ps1) on one file
#   write_report          Markdown report from $RAW
# shellcheck disable=SC2016  # $… in single quotes are awk fields and PowerShell variables, on purpose
set -Eeuo pipefail

usage() {
    cat <<'EOF'
Usage: bench/backup-bench.sh [options]

  --size-mib N      size of the random file written into the container, and of the file the hash section
                    hashes (default 1024)
  --runs N          timed runs per case (default 3)
  --no-build        use the existing Release build instead of running `dotnet build -c Release`
  --workdir DIR     parent directory for the per-run output directories (default /var/tmp); put it on the
                    disk you want to measure (by default the same disk as /var/lib/incus)
  --image ALIAS     image to launch (default busybox-test; needs sh, head and sync)
  --pool NAME       storage pool for the container's root disk (default default)
  --sections LIST   comma-separated sections to run: backup, restore, hash (default backup,restore)
  --cache MODE      hash section: warm (default; the file is read once untimed, every run hits the page cache) or
                    cold (sync; echo 3 > /proc/sys/vm/drop_caches before every run; needs root, else falls back
                    to warm with a warning)
  -h, --help        this text

For backup and restore: creates an Incus project bench-<random> with one container, and deletes it on exit (also on
failure or Ctrl+C). The hash section needs neither Incus nor root. Measures each case --runs times, writes
bench/results/backup-<UTC timestamp>.md and prints it.
EOF
}

SIZE_MIB=1024
RUNS=3
BUILD=1
WORK_PARENT=/var/tmp
IMAGE=busybox-test
POOL=default
SECTIONS=backup,restore
HASH_CACHE=warm

while (($#)); do
    case $1 in
        --size-mib) SIZE_MIB=${2:?--size-mib needs a value}; shift 2 ;;
        --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --workdir) WORK_PARENT=${2:?--workdir needs a value}; shift 2 ;;
        --image) IMAGE=${2:?--image needs a value}; shift 2 ;;
        --pool) POOL=${2:?--pool needs a value}; shift 2 ;;
        --sections) SECTIONS=${2:?--sections needs a value}; shift 2 ;;
        --cache) HASH_CACHE=${2:?--cache needs a value}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "--size-mib must be a positive integer" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ $HASH_CACHE == warm || $HASH_CACHE == cold ]] || { echo "--cache must be warm or cold" >&2; exit 2; }

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
RAW=                  # TSV: case run wall_s maxrss_kib user_s sys_s out_bytes dir_bytes server_peak_bytes load1 inproc_s
MEASURE_LOG=          # stdout+stderr of the last measured command, for checks by the caller
CASES=()              # case names in first-seen order
declare -A CASE_CMD=() CASE_COMP=() CASE_KIND=()

# Peak apparent size of the server's backup directory for our instance, sampled every 0.05 s (writes $1).
sample_server_disk() {
    local peakfile=$1 dir=$INCUS_DIR/backups/instances/${PROJECT}_$CT peak=0 s
    echo 0 >"$peakfile"
    while :; do
        s=$(du -sb "$dir" 2>/dev/null | cut -f1) || s=0
        if ((${s:-0} > peak)); then peak=$s; echo "$peak" >"$peakfile"; fi
        sleep 0.05
    done
}

# measure [--kind K] [--comp C] [--local] NAME CMD...
#   Runs CMD once under /usr/bin/time in a fresh empty directory ("@DIR@" in CMD is replaced by it), fails the
#   benchmark if CMD fails, records wall time, peak RSS of the client, CPU, the largest output file's size and
#   the peak server-side backup disk use, then deletes the directory. A line "bench-in-process-seconds: S" in
#   CMD's output is recorded as the time measured inside the process (start-up excluded).
#   --kind: "backup" (default; output file sizes are recorded) or anything else (sizes left empty).
#   --comp: compression label for the table. Untimed preparation belongs in the caller, around the call.
#   --local: CMD does not touch the Incus server: no server-disk sampling, no check for left-over backups.
measure() {
    local kind=backup comp='' server=1
    while [[ $1 == --* ]]; do
        case $1 in
            --kind) kind=$2; shift 2 ;;
            --comp) comp=$2; shift 2 ;;
            --local) server=0; shift ;;
            *) die "measure: unknown option $1" ;;
        esac
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
    if ((server)); then
        sample_server_disk "$peakf" & SAMPLER_PID=$!
    else
        echo 0 >"$peakf"
    fi
    local rc=0
    /usr/bin/time -f '%e %M %U %S' -o "$tfile" "${args[@]}" >"$logf" 2>&1 || rc=$?
    if [[ -n $SAMPLER_PID ]]; then kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=; fi
    MEASURE_LOG=$logf
    if ((rc != 0)); then
        tail -n 20 "$logf" | tr '\r' '\n' | tail -n 20 >&2
        die "'$name' failed (exit $rc): $(quote "${args[@]}")"
    fi
    local wall rss user sys
    read -r wall rss user sys < <(tail -n 1 "$tfile")
    local out_bytes='' dir_bytes=''
    if [[ $kind == backup ]]; then
        out_bytes=$(find "$dir" -type f -printf '%s\n' | sort -n | tail -n 1)
        dir_bytes=$(find "$dir" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    fi
    local server_peak; server_peak=$(cat "$peakf")
    local inproc; inproc=$(sed -n 's/^bench-in-process-seconds: \([0-9.]*\).*/\1/p' "$logf" | tail -n 1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$wall" "$rss" "$user" "$sys" \
        "$out_bytes" "$dir_bytes" "$server_peak" "$load" "$inproc" >>"$RAW"
    log "  $name #$run: ${wall} s${inproc:+ (in-process $inproc s)}, client peak RSS $((rss / 1024)) MiB${out_bytes:+, output $out_bytes B}$( ((server)) && echo ", server peak $server_peak B") (load $load)"
    rm -rf "$dir"
    # The server must not keep backups around after either client is done.
    if ((server)); then
        local left; left=$(incus query "/1.0/instances/$CT/backups?project=$PROJECT" | grep -c '"/1.0/' || true)
        ((left == 0)) || log "  WARNING: $left server-side backup(s) left on $CT after '$name'"
    fi
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

# The hash cases: one file hashed by the stock tools and by the module's own HashingStream, the class every backup
# archive is written through (bench/hash-module.ps1 loads it from the built module and times itself with a
# Stopwatch inside pwsh, so pwsh start-up and Import-Module stay out of the module's time).
HASH_FILE=
HASH_SHA=               # the digest every case must print
HASH_WRITE_SECONDS=
HASH_MODULE_CASE="IncusBackup HashingStream (in pwsh)"
hash_case() {
    case $1 in
        sha) measure --local --kind hash "sha256sum" sha256sum "$HASH_FILE" ;;
        openssl) measure --local --kind hash "openssl dgst -sha256" openssl dgst -sha256 -r "$HASH_FILE" ;;
        module) measure --local --kind hash "$HASH_MODULE_CASE" \
                    pwsh -NoProfile -NonInteractive -File bench/hash-module.ps1 -Module "$MODULE" -Path "$HASH_FILE" ;;
    esac
}

section_hash() {
    local cases=(sha) r i n sha
    if command -v openssl >/dev/null; then cases+=(openssl); else log "hash: openssl not found; measuring sha256sum and the module only"; fi
    cases+=(module)
    n=${#cases[@]}
    HASH_FILE=$WORK/hash-input.bin
    log "hash: writing $SIZE_MIB MiB of random data to $HASH_FILE (untimed)"
    record_cmd "head -c $((SIZE_MIB * 1048576)) /dev/urandom > $HASH_FILE"
    local t0; t0=$(date +%s.%N)
    head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$HASH_FILE"
    HASH_WRITE_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    if [[ $HASH_CACHE == cold ]] && ! { sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
        log "hash: WARNING: cannot drop the page cache (needs root); measuring warm instead"
        HASH_CACHE=warm
    fi
    if [[ $HASH_CACHE == warm ]]; then
        # Just written, so most of it is cached already; one untimed read makes sure the first case is not the one
        # that pays for the rest.
        record_cmd "cat $HASH_FILE > /dev/null"
        cat "$HASH_FILE" >/dev/null
    else
        record_cmd "sync; echo 3 > /proc/sys/vm/drop_caches   # before every timed run"
    fi
    for ((r = 0; r < RUNS; r++)); do
        log "hash round $((r + 1))/$RUNS ($HASH_CACHE cache)"
        # Rotating start, as in section_backup.
        for ((i = 0; i < n; i++)); do
            [[ $HASH_CACHE == cold ]] && { sync; echo 3 >/proc/sys/vm/drop_caches; }
            hash_case "${cases[(i + r) % n]}"
            # A fast wrong answer is no answer: every case must print the same digest.
            sha=$(awk 'NR == 1 {print $1}' "$MEASURE_LOG")
            [[ $sha =~ ^[0-9a-f]{64}$ ]] || die "hash: '${cases[(i + r) % n]}' printed no sha256: $(head -c 300 "$MEASURE_LOG")"
            [[ -z $HASH_SHA || $sha == "$HASH_SHA" ]] || die "hash: '${cases[(i + r) % n]}' printed $sha, an earlier case $HASH_SHA"
            HASH_SHA=$sha
        done
    done
}

# ---------------------------------------------------------------------------------------------- report
# run_stat CASE AWK-EXPR min|median: the statistic of EXPR over the case's runs in $RAW; runs where EXPR is empty
# do not count. (Columns: 3 wall, 4 rss KiB, 5 user, 6 sys, 7 out bytes, 9 server peak, 11 in-process seconds.)
run_stat() {
    awk -F'\t' -v n="$1" '$1==n {print '"$2"'}' "$RAW" | sort -g | awk -v how="$3" '
        NF {v[++k]=$1}
        END {
            if (k == 0) { print ""; exit }
            if (how == "min") { print v[1]; exit }
            if (k % 2) print v[(k+1)/2]; else printf "%.15g\n", (v[k/2] + v[k/2+1]) / 2
        }'
}
# col_stat CASE COLUMN min|median
col_stat() { run_stat "$1" "\$$2" "$3"; }
cpu_median() { run_stat "$1" '$5 + $6' median; }
# The time of a run: measured inside the process when the command reported it, else its wall time.
TIME_EXPR='($11 != "" ? $11 : $3)'
# fmt NUMBER PRINTF-FORMAT: formatted, or — when empty.
fmt() { if [[ -n $1 ]]; then awk -v x="$1" -v f="$2" 'BEGIN {printf f, x}'; else printf '—'; fi; }
# ratio A B: A / B to 2 decimals, — when either is missing.
ratio() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; else printf '—'; fi; }
has_kind() { local c; for c in "${CASES[@]}"; do [[ ${CASE_KIND[$c]} == "$1" ]] && return 0; done; return 1; }
has_other_than() { local c; for c in "${CASES[@]}"; do [[ ${CASE_KIND[$c]} != "$1" ]] && return 0; done; return 1; }

# The hash section's part of the report.
hash_report() {
    local ref=sha256sum ossl="openssl dgst -sha256" c
    local ref_med ref_min ossl_med
    ref_med=$(run_stat "$ref" "$TIME_EXPR" median); ref_min=$(run_stat "$ref" "$TIME_EXPR" min)
    ossl_med=$(run_stat "$ossl" "$TIME_EXPR" median)
    echo "## Hash"
    echo
    echo "One file of ${SIZE_MIB} MiB from /dev/urandom (written in ${HASH_WRITE_SECONDS} s) in \`$WORK_PARENT\`, sha256 by each"
    echo "case $RUNS time(s), interleaved round-robin (starting case rotating each round). Every run printed the same"
    echo "digest, \`$HASH_SHA\`."
    if [[ $HASH_CACHE == cold ]]; then
        echo "Page cache dropped (\`sync; echo 3 > /proc/sys/vm/drop_caches\`) before every run: each run reads the file"
        echo "from disk (and loads its own binaries cold), so this measures disk + hash."
    else
        echo "The file is warm in the page cache for every tool alike (read once, untimed, before the first run; the"
        echo "cache was not dropped), so this measures hashing, not the disk."
    fi
    echo
    echo "*Time*: for the stock tools, the process's wall time (\`/usr/bin/time %e\`, 10 ms steps; their start-up is a few ms); for the"
    echo "module, a Stopwatch inside pwsh $PWSH_VERSION around opening the file, feeding it in 1 MiB chunks through"
    echo "\`IncusBackup.IO.HashingStream.WriteAsync\` (into \`Stream.Null\`) and the digest, as a backup hashes its"
    echo "download (bench/hash-module.ps1). *Start-up + exit* = process wall − time: pwsh start-up, Import-Module,"
    echo "loading the engine, and exit, which the time leaves out. × sha256sum = time ÷ sha256sum's time (below 1 is"
    echo "faster). MiB/s = ${SIZE_MIB} MiB ÷ time (median; best = from the min time). CPU = user + sys of the whole process."
    echo
    echo "| case | time min (s) | time median (s) | MiB/s median | MiB/s best | × sha256sum (median) | × sha256sum (min) | × openssl (median) | process wall median (s) | start-up + exit median (s) | CPU median (s) | peak RSS median (MiB) |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    local med min
    for c in "${CASES[@]}"; do
        [[ ${CASE_KIND[$c]} == hash ]] || continue
        med=$(run_stat "$c" "$TIME_EXPR" median); min=$(run_stat "$c" "$TIME_EXPR" min)
        echo "| $c | $(fmt "$min" %.2f) | $(fmt "$med" %.2f) | $(fmt "$(awk -v m="$SIZE_MIB" -v t="$med" 'BEGIN {print m / t}')" %.0f) |" \
            "$(fmt "$(awk -v m="$SIZE_MIB" -v t="$min" 'BEGIN {print m / t}')" %.0f) | $(ratio "$med" "$ref_med") | $(ratio "$min" "$ref_min") |" \
            "$(ratio "$med" "$ossl_med") | $(col_stat "$c" 3 median) | $(fmt "$(run_stat "$c" '($11 != "" ? $3 - $11 : "")' median)" %.2f) |" \
            "$(cpu_median "$c") | $(fmt "$(col_stat "$c" 4 median)" '%.0f' | awk '{print ($1 == "—") ? $1 : int($1 / 1024)}') |"
    done
    echo
}
fmt_bytes() { if [[ -n $1 ]]; then awk -v b="$1" 'BEGIN {printf "%.0f", b}' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' | tr -d '\n'; else printf '—'; fi; }

# The backup and restore sections' part of the report. $1: median start-up (pwsh + Import-Module), may be empty.
results_report() {
    local startup=$1 c excl rss
    echo "## Results"
    echo
    echo "Wall time = client process start to exit (\`/usr/bin/time %e\`). The module rows run in a fresh \`pwsh\`"
    echo "$PWSH_VERSION, so they **include pwsh start-up and"
    echo "Import-Module**; the last row measures that alone (median ${startup:-?} s), and *excl. start-up* subtracts it."
    echo "Peak RSS = max resident set of the client process (\`%M\`), not of incusd. Output = size of the backup file"
    echo "(the module also writes a manifest, checksums and repository metadata, a few KiB). Server peak = largest"
    echo "apparent size of \`$INCUS_DIR/backups/instances/${PROJECT}_$CT\` sampled every 0.05 s (the server-side copy;"
    echo "on the same disk it adds to the client's copy)."
    echo
    echo "| case | compression | wall min (s) | wall median (s) | excl. start-up (s) | client CPU median (s) | peak RSS median (MiB) | output (bytes) | server peak (bytes) |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|--:|"
    for c in "${CASES[@]}"; do
        [[ ${CASE_KIND[$c]} != hash ]] || continue
        excl='—'
        # Only module rows (a fresh pwsh each) carry the start-up to subtract.
        if [[ ${CASE_CMD[$c]} == pwsh* && ${CASE_KIND[$c]} != startup && -n $startup ]]; then
            excl=$(awk -v a="$(col_stat "$c" 3 median)" -v b="$startup" 'BEGIN {printf "%.2f", a - b}')
        fi
        rss=$(awk -v k="$(col_stat "$c" 4 median)" 'BEGIN {printf "%.0f", k / 1024}')
        echo "| $c | ${CASE_COMP[$c]:-—} | $(col_stat "$c" 3 min) | $(col_stat "$c" 3 median) | $excl | $(cpu_median "$c") | $rss | $(fmt_bytes "$(col_stat "$c" 7 median)") | $(fmt_bytes "$(col_stat "$c" 9 median)") |"
    done
    echo
}

write_report() {
    local startup_case="PowerShell start-up + Import-Module only"
    local startup; startup=$(col_stat "$startup_case" 3 median)
    local c
    PWSH_VERSION=$(pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()')
    {
        echo "# IncusBackup benchmark — $STAMP"
        echo
        echo "Sections: $SECTIONS."
        if ((NEED_INCUS)); then
            echo "Container \`$CT\` ($IMAGE, running, no snapshots) with a ${SIZE_MIB} MiB file from /dev/urandom"
            echo "(incompressible), $RUNS run(s) per case, cases interleaved round-robin (starting case rotating each round), each run into a fresh empty"
            echo "directory under \`$WORK_PARENT\`. Client and server on the same host."
        fi
        echo
        echo "## Machine"
        echo
        echo "| | |"
        echo "|---|---|"
        echo "| CPU | $(nproc) × $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)$(grep -qw sha_ni /proc/cpuinfo && echo ' (SHA extensions)') |"
        echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) total, $(awk '/MemAvailable/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) available at the end |"
        # shellcheck source=/dev/null  # the OS's own file, only for PRETTY_NAME
        echo "| kernel | $(uname -r) ($(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown OS}")) |"
        if ((NEED_INCUS)); then
            echo "| Incus | client $(incus version | sed -n 's/^Client version: //p'), server $(incus version | sed -n 's/^Server version: //p'); pool \`$POOL\` driver $(incus storage show "$POOL" | sed -n 's/^driver: //p'); backups.compression_algorithm = ${SERVER_COMP_RAW:-(unset → gzip)} |"
        fi
        echo "| .NET | SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}') |"
        if has_kind hash; then
            echo "| hash tools | $(sha256sum --version | head -n 1)$(command -v openssl >/dev/null && echo "; $(openssl version)") |"
        fi
        echo "| module | IncusBackup $(sed -n "s/.*ModuleVersion *= *'\(.*\)'.*/\1/p" module/IncusBackup/IncusBackup.psd1), repo commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]] && echo ' (+ uncommitted changes)') |"
        echo -n "| disk | output dir: $(df -h --output=avail,size,source "$WORK_PARENT" | tail -n 1 | awk '{print $1 " free of " $2 " on " $3}')"
        if ((NEED_INCUS)); then
            echo -n "; $INCUS_DIR: $(df -h --output=avail,source "$INCUS_DIR" | tail -n 1 | awk '{print $1 " free on " $2}')$SAME_DISK_NOTE"
        fi
        echo " |"
        echo "| load average | start: $LOAD_START; end: $(cut -d' ' -f1-3 /proc/loadavg) |"
        ((NEED_INCUS)) && echo "| test data | written in ${WRITE_SECONDS} s |"
        echo
        has_other_than hash && results_report "$startup"
        has_kind hash && hash_report
        echo "<details><summary>Raw runs</summary>"
        echo
        echo "| case | run | wall (s) | peak RSS (KiB) | user (s) | sys (s) | output (bytes) | output dir total (bytes) | server peak (bytes) | load1 at start | in-process (s) |"
        echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        awk -F'\t' 'BEGIN {OFS=" | "} {print "| " $1, $2, $3, $4, $5, $6, ($7 == "" ? "—" : $7), ($8 == "" ? "—" : $8), $9, $10, ($11 == "" ? "—" : $11) " |"}' "$RAW"
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
        ((NEED_INCUS)) && echo "incus delete --force $CT --project $PROJECT; incus project delete $PROJECT"
        echo "rm -rf $WORK"
        echo '```'
        echo
        echo "Benchmark command: \`bench/backup-bench.sh $ORIG_ARGS\`"
    } >"$REPORT"
}

# ---------------------------------------------------------------------------------------------- main
NEED_INCUS=0
for s in ${SECTIONS//,/ }; do
    declare -F "section_$s" >/dev/null || die "unknown section '$s' (backup, restore, hash)"
    [[ $s == hash ]] || NEED_INCUS=1
done
ORIG_ARGS="--size-mib $SIZE_MIB --runs $RUNS --sections $SECTIONS"
[[ ,$SECTIONS, == *,hash,* ]] && ORIG_ARGS+=" --cache $HASH_CACHE"
((BUILD)) || ORIG_ARGS+=" --no-build"
if ((NEED_INCUS)); then
    [[ $EUID -eq 0 ]] || die "run as root (needs the Incus socket and apt-get for /usr/bin/time)"
fi
if [[ ! -x /usr/bin/time ]]; then
    [[ $EUID -eq 0 ]] || die "/usr/bin/time is missing: apt-get install time (or run as root, which installs it)"
    log "installing GNU time"
    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
if ((NEED_INCUS)); then
    command -v incus >/dev/null || die "incus not found"
    incus info >/dev/null || die "cannot reach the Incus server"
fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

if ((BUILD)); then
    log "building (Release)"
    dotnet build IncusBackup.PowerShell.sln -c Release -nologo -v quiet >&2
fi
PATH="$PATH:$(bash scripts/setup-pwsh.sh)"
command -v pwsh >/dev/null || die "pwsh is missing (scripts/setup-pwsh.sh installs it)"
[[ -f module/IncusBackup/IncusBackup.psd1 ]] || die "module/IncusBackup missing (build without --no-build)"

mkdir -p "$WORK_PARENT" "$RESULTS_DIR"
WORK=$(mktemp -d "$WORK_PARENT/incus-bench.XXXXXX")
RAW=$WORK/raw.tsv; : >"$RAW"
# Backup and restore: the client copy, the server's temporary copy and the container's data; hash: its one file.
need_kib=$(( SIZE_MIB * 1024 * (3 * NEED_INCUS) + 1024 * 1024 ))
[[ ,$SECTIONS, == *,hash,* ]] && need_kib=$(( need_kib + SIZE_MIB * 1024 ))
avail_kib=$(df --output=avail "$WORK" | tail -n 1)
((avail_kib > need_kib)) || die "not enough disk: need about $((need_kib / 1024)) MiB free in $WORK_PARENT, have $((avail_kib / 1024))"

if ((NEED_INCUS)); then
    SAME_DISK_NOTE=
    [[ $(stat -c %d "$WORK") == $(stat -c %d "$INCUS_DIR") ]] && SAME_DISK_NOTE=" (same filesystem)" ||
        SAME_DISK_NOTE=" (different filesystems)"
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
fi

for s in ${SECTIONS//,/ }; do "section_$s"; done

write_report
cat "$REPORT"
echo
echo "Report: $REPORT"
