#!/usr/bin/env bash
# Backup benchmark: `incus export` against the IncusBackup module (Backup-IncusInstance) on the local Incus server,
# and the module's sha256 path against sha256sum (section hash, no Incus needed).
# Run as root from anywhere; see bench/README.md. Usage: bench/backup-bench.sh --help
# bench/run is the one-command entry point (every section, the committed report); this script does the work.
#
# Layout (so that more sections slot in easily):
#   measure NAME CMD...   one timed run of CMD (wall time, peak RSS, CPU) into a fresh empty directory; "@DIR@" in
#                         any argument becomes that directory; results go to $RAW (one TSV line per run)
#   round_robin FN N      calls FN 0..N-1 once per round for --runs rounds, the starting case rotating each round
#   section_backup        the backup cases (zstd pair, gzip/default pair, start-up), round-robin over --runs
#   section_uncompressed  -Compression none vs incus export --compression none + sync
#   section_restore       incus import vs Restore-IncusInstance of the same archive
#   section_parallel      eight containers: one Backup-IncusInstance -Name c1,…,c8 vs a loop of incus export + sync
#   section_startup       pwsh + Import-Module + a first cheap call vs a bare pwsh (no Incus)
#   section_scale         Get-IncusBackup / -Latest / Remove-IncusBackup -WhatIf on a synthetic repository of
#                         --scale-backups backups (bench/make-scale-repo.ps1, cached under --workdir)
#   section_hash          sha256sum / openssl dgst vs the module's HashingStream (bench/hash-module.ps1) on one file
#   section_phases        one backup and one restore with -Verbose -Debug, each line stamped with the elapsed time
#   write_report          Markdown report from $RAW: ratios (module vs reference), results, scale, hash, phases
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
  --sections LIST   comma-separated sections to run: backup, uncompressed, restore, parallel, startup, scale, hash,
                    phases, consistency, restic, https, or all (default backup,restore)
  --gzip-rounds N   backup section: run the gzip/server-default cases (slow) in the first N rounds only
                    (default: every round; 0 leaves them out)
  --scale-backups N scale section: backups in the synthetic repository (default 100000)
  --scale-versions N scale section: versions per instance (default 100; instances = backups / versions)
  --report PATH     write the report there (default bench/results/backup-<UTC timestamp>.md)
  --cache MODE      hash section: warm (default; the file is read once untimed, every run hits the page cache) or
                    cold (sync; echo 3 > /proc/sys/vm/drop_caches before every run; needs root, else falls back
                    to warm with a warning)
  -h, --help        this text

For the Incus sections: creates an Incus project bench-<random> with its containers, and deletes it on exit (also
on failure or Ctrl+C). The hash and startup sections need neither Incus nor root. Measures each case --runs times,
writes the report (--report) and prints it.
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
GZIP_ROUNDS=
SCALE_BACKUPS=100000
SCALE_VERSIONS=100
REPORT=
ALL_SECTIONS=backup,uncompressed,restore,parallel,startup,scale,hash,phases,consistency,restic,https

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
        --gzip-rounds) GZIP_ROUNDS=${2:?--gzip-rounds needs a value}; shift 2 ;;
        --scale-backups) SCALE_BACKUPS=${2:?--scale-backups needs a value}; shift 2 ;;
        --scale-versions) SCALE_VERSIONS=${2:?--scale-versions needs a value}; shift 2 ;;
        --report) REPORT=${2:?--report needs a value}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "--size-mib must be a positive integer" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ $HASH_CACHE == warm || $HASH_CACHE == cold ]] || { echo "--cache must be warm or cold" >&2; exit 2; }
GZIP_ROUNDS=${GZIP_ROUNDS:-$RUNS}
[[ $GZIP_ROUNDS =~ ^[0-9]+$ ]] || { echo "--gzip-rounds must be a number" >&2; exit 2; }
[[ $SCALE_BACKUPS =~ ^[1-9][0-9]*$ && $SCALE_VERSIONS =~ ^[1-9][0-9]*$ ]] ||
    { echo "--scale-backups and --scale-versions must be positive integers" >&2; exit 2; }
((SCALE_BACKUPS % SCALE_VERSIONS == 0)) || { echo "--scale-backups must be a multiple of --scale-versions" >&2; exit 2; }
SCALE_INSTANCES=$((SCALE_BACKUPS / SCALE_VERSIONS))
[[ $SECTIONS == all ]] && SECTIONS=$ALL_SECTIONS
# A relative --report is relative to where the script was started, not to the repository it changes into.
[[ -z $REPORT || $REPORT == /* ]] || REPORT=$PWD/$REPORT

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
MODULE=./module/IncusBackup
INCUS_DIR=${INCUS_DIR:-/var/lib/incus}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS_DIR=$REPO/bench/results
REPORT=${REPORT:-$RESULTS_DIR/backup-$STAMP.md}
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
SCALE_CACHE=          # the synthetic repository's cache folder; a generator killed half-way leaves <it>.tmp-<pid>
PAR_CTS=()            # the parallel section's containers (deleted with every other instance of the project)
COW_POOL=             # the consistency section's btrfs pool (deleted at exit, after the project's instances)
cleanup() {
    local rc=$?
    set +e
    https_cleanup
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
    if ((PROJECT_CREATED)) && incus project show "$PROJECT" >/dev/null 2>&1; then
        log "cleaning up project $PROJECT"
        local i
        # Every instance of the project: bench1, the parallel section's eight, the scale template, a restored copy.
        for i in $(incus list --project "$PROJECT" -c n -f csv 2>/dev/null); do
            incus delete --force "$i" --project "$PROJECT" >/dev/null
        done
        incus profile delete benchprof --project "$PROJECT" >/dev/null 2>&1
        incus profile device remove default root --project "$PROJECT" >/dev/null 2>&1
        incus project delete "$PROJECT" >/dev/null || log "WARNING: could not delete project $PROJECT; delete it by hand"
    fi
    if [[ -n $COW_POOL ]]; then
        local attempt
        for attempt in 1 2 3 4 5 6 7 8 9 10; do incus storage delete "$COW_POOL" >/dev/null 2>&1 && break; sleep 0.5; done
        incus storage show "$COW_POOL" >/dev/null 2>&1 && log "WARNING: could not delete storage pool $COW_POOL; delete it by hand"
    fi
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    [[ -n $SCALE_CACHE ]] && rm -rf "$SCALE_CACHE".tmp-*
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

# Peak apparent size of the server's backup directories for our project's instances (bench1, or the parallel
# section's eight together), sampled every 0.05 s (writes $1).
sample_server_disk() {
    local peakfile=$1 peak=0 s
    echo 0 >"$peakfile"
    while :; do
        s=$(du -sbc "$INCUS_DIR/backups/instances/${PROJECT}_"* 2>/dev/null | tail -n 1 | cut -f1) || s=0
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
        local left i
        for i in "$CT" "${PAR_CTS[@]}"; do
            left=$(incus query "/1.0/instances/$i/backups?project=$PROJECT" | grep -c '"/1.0/' || true)
            ((left == 0)) || log "  WARNING: $left server-side backup(s) left on $i after '$name'"
        done
    fi
}

# ---------------------------------------------------------------------------------------------- sections
PWSH=(pwsh -NoProfile -NonInteractive -Command)

# round_robin LABEL FN N: every case FN 0..N-1 once per round for --runs rounds, the starting case rotating each round,
# so that drifting background load (and any after-effects of the previous case) hit every case alike. FN gets the
# case index and the round (0-based), and may skip a case in some rounds.
round_robin() {
    local label=$1 fn=$2 n=$3 r i
    for ((r = 0; r < RUNS; r++)); do
        log "$label round $((r + 1))/$RUNS"
        for ((i = 0; i < n; i++)); do "$fn" $(((i + r) % n)) "$r"; done
    done
}

# Module command lines (a fresh pwsh per run, so its start-up and Import-Module count).
module_cmd() { echo "Import-Module $MODULE; $* | Out-Null"; }

# The backup cases, by index (0..BACKUP_CASES-1). The primary pair is 4 and 6: both zstd, and both durable on disk
# when they exit. 0 and 3 (gzip, single-threaded, the slowest by far) run in the first --gzip-rounds rounds only.
BACKUP_CASES=7
GZIP_CASE_NAMES=("incus export (defaults)" "Backup-IncusInstance -Compression gzip")
backup_case() {
    if [[ $1 == 0 || $1 == 3 ]] && (($2 >= GZIP_ROUNDS)); then return; fi
    case $1 in
        0) measure --comp "server default ($SERVER_COMP)" "incus export (defaults)" \
               incus export "$CT" @DIR@/backup.tar.gz --project "$PROJECT" ;;
        1) measure --comp zstd "incus export --compression zstd" \
               incus export "$CT" @DIR@/backup.tar.zst --project "$PROJECT" --compression zstd ;;
        2) measure --comp "module default (zstd)" "Backup-IncusInstance (defaults)" \
               "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name "$CT" -Project "$PROJECT" -Target dir:@DIR@)" ;;
        3) measure --comp gzip "Backup-IncusInstance -Compression gzip" \
               "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name "$CT" -Project "$PROJECT" -Target dir:@DIR@ -Compression gzip)" ;;
        4) measure --comp zstd "Backup-IncusInstance -Compression zstd" \
               "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name "$CT" -Project "$PROJECT" -Target dir:@DIR@ -Compression zstd)" ;;
        5) measure --kind startup "PowerShell start-up + Import-Module only" \
               "${PWSH[@]}" "Import-Module $MODULE" ;;
        # The module fsyncs the archive before it lists the backup; incus export leaves it in the page cache.
        # This row gives incus the same durability.
        6) measure --comp zstd "incus export --compression zstd + sync" \
               sh -c "incus export '$CT' @DIR@/backup.tar.zst --project '$PROJECT' --compression zstd --quiet && sync" ;;
    esac
}

section_backup() {
    ((GZIP_ROUNDS >= RUNS)) || log "backup: the gzip cases run in $GZIP_ROUNDS of $RUNS round(s) (--gzip-rounds)"
    round_robin backup backup_case "$BACKUP_CASES"
}

# No compression on either side: the server writes a plain tar, the client stores it as it is.
uncompressed_case() {
    case $1 in
        0) measure --comp none "Backup-IncusInstance -Compression none" \
               "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name "$CT" -Project "$PROJECT" -Target dir:@DIR@ -Compression none)" ;;
        1) measure --comp none "incus export --compression none + sync" \
               sh -c "incus export '$CT' @DIR@/backup.tar --project '$PROJECT' --compression none --quiet && sync" ;;
    esac
}
section_uncompressed() { round_robin uncompressed uncompressed_case 2; }

# The restore cases: the same archive (one module backup, taken untimed first) restored by `incus import` and by
# Restore-IncusInstance, plus Restore-IncusInstance with a profile mapping, which streams the archive through the
# YAML rewriter (plain tar out) instead of sending the file as it is. Each restored copy is deleted untimed.
RESTORE_REPO=
RESTORE_ARCHIVE=
restore_case() {
    local comp; comp=$(basename "$RESTORE_ARCHIVE")
    case $1 in
        0) measure --kind restore --comp "$comp" "incus import (same archive)" \
               incus import "$RESTORE_ARCHIVE" restored --project "$PROJECT" ;;
        1) measure --kind restore --comp "$comp" "Restore-IncusInstance -NewName" \
               "${PWSH[@]}" "$(module_cmd Restore-IncusInstance -Name "$CT" -Project "$PROJECT" -Target "dir:$RESTORE_REPO" -NewName restored)" ;;
        2) measure --kind restore --comp "rewritten to plain tar" "Restore-IncusInstance -NewName -ProfileMap" \
               "${PWSH[@]}" "$(module_cmd Restore-IncusInstance -Name "$CT" -Project "$PROJECT" -Target "dir:$RESTORE_REPO" -NewName restored -ProfileMap "@{ default = 'benchprof' }")" ;;
    esac
    incus delete --force restored --project "$PROJECT"
}
section_restore() {
    RESTORE_REPO=$WORK/restore-repo
    log "restore: taking the backup to restore (untimed)"
    run "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name "$CT" -Project "$PROJECT" -Target "dir:$RESTORE_REPO" -Compression zstd)" >&2
    RESTORE_ARCHIVE=$(find "$RESTORE_REPO/instances" -name 'export.tar.*' | head -n 1)
    [[ -n $RESTORE_ARCHIVE ]] || die "the module backup for the restore section is missing"
    run incus profile copy default benchprof --project "$PROJECT" >&2
    round_robin restore restore_case 3
}

# Many instances: PAR_COUNT containers of --size-mib / PAR_COUNT MiB each, backed up by one Backup-IncusInstance
# call (its default -ThrottleLimit) and by a loop of incus export + sync, one after the other.
PAR_COUNT=8
PAR_MODULE_CASE="Backup-IncusInstance -Name par1,…,par$PAR_COUNT (default -ThrottleLimit)"
PAR_LOOP_CASE="for each: incus export --compression zstd + sync"
parallel_case() {
    local names; names=$(IFS=,; echo "${PAR_CTS[*]}")
    case $1 in
        0) measure --comp zstd "$PAR_MODULE_CASE" \
               "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name "$names" -Project "$PROJECT" -Target dir:@DIR@ -Compression zstd)" ;;
        1) measure --comp zstd "$PAR_LOOP_CASE" \
               sh -c "for i in ${PAR_CTS[*]}; do incus export \"\$i\" @DIR@/\$i.tar.zst --project '$PROJECT' --compression zstd --quiet && sync || exit 1; done" ;;
    esac
}
section_parallel() {
    local i per=$((SIZE_MIB / PAR_COUNT)) ct
    ((per > 0)) || die "parallel: --size-mib must be at least $PAR_COUNT"
    log "parallel: $PAR_COUNT containers of $per MiB each (untimed)"
    for ((i = 1; i <= PAR_COUNT; i++)); do
        ct=par$i
        PAR_CTS+=("$ct")   # before the launch: the left-over check and the cleanup must know it
        run incus launch "$IMAGE" "$ct" --project "$PROJECT" >&2
        run incus exec "$ct" --project "$PROJECT" -- sh -c "head -c $((per * 1048576)) /dev/urandom > /root/random.bin; sync"
    done
    PAR_SIZE_MIB=$per
    round_robin parallel parallel_case 2
}

# Start-up: what a run of the module costs before it does anything, against a pwsh that does nothing. The first call
# (Get-IncusBackup of an empty repository) loads the engine into its AssemblyLoadContext, which Import-Module alone
# does not. No Incus needed.
STARTUP_BARE_CASE='pwsh -Command $null'
STARTUP_FIRST_CASE="pwsh + Import-Module + Get-IncusBackup (first call)"
startup_case() {
    case $1 in
        0) measure --local --kind startup "$STARTUP_BARE_CASE" "${PWSH[@]}" '$null' ;;
        1) measure --local --kind startup "$STARTUP_FIRST_CASE" \
               "${PWSH[@]}" "Import-Module $MODULE; Get-IncusBackup -Target dir:@DIR@" ;;
    esac
}
section_startup() { round_robin startup startup_case 2; }

# Repository scale: the read side of a big repository, timed inside pwsh (bench/scale-module.ps1), on a synthetic
# directory repository of --scale-backups backups that bench/make-scale-repo.ps1 clones from one real module backup
# of a tiny container. The repository is kept in --workdir between runs (SCALE_CACHE), keyed by its size, the
# generator and the module version; the template container and its backup are made only when it is missing.
SCALE_CASES=("Get-IncusBackup" "Get-IncusBackup -Latest" "Remove-IncusBackup -KeepLast 3 -WhatIf")
SCALE_OPS=(List Latest Retention)
SCALE_EXPECT=()       # records (or What if lines) each operation must report
SCALE_GEN_SECONDS=    # empty when the repository came from the cache
scale_case() {
    measure --local --kind scale "${SCALE_CASES[$1]}" \
        pwsh -NoProfile -NonInteractive -File bench/scale-module.ps1 -Module "$MODULE" -Repository "$SCALE_CACHE" \
        -Operation "${SCALE_OPS[$1]}" -KeepLast 3
    local got
    if [[ ${SCALE_OPS[$1]} == Retention ]]; then
        got=$(grep -c '^What if: ' "$MEASURE_LOG" || true)
    else
        got=$(sed -n 's/^bench-records: \([0-9]*\).*/\1/p' "$MEASURE_LOG" | tail -n 1)
    fi
    [[ $got == "${SCALE_EXPECT[$1]}" ]] ||
        die "scale: '${SCALE_CASES[$1]}' reported ${got:-nothing}, expected ${SCALE_EXPECT[$1]}: $(tail -c 300 "$MEASURE_LOG")"
}
section_scale() {
    local key module_version
    module_version=$(sed -n "s/.*ModuleVersion *= *'\(.*\)'.*/\1/p" module/IncusBackup/IncusBackup.psd1)
    key="$SCALE_INSTANCES x $SCALE_VERSIONS; generator $(sha256sum bench/make-scale-repo.ps1 | cut -c1-12); module $module_version"
    SCALE_CACHE=$WORK_PARENT/incus-bench-scale/${SCALE_INSTANCES}x$SCALE_VERSIONS
    if [[ -f $SCALE_CACHE/.bench-key && $(cat "$SCALE_CACHE/.bench-key") == "$key" ]]; then
        log "scale: reusing the synthetic repository $SCALE_CACHE ($key)"
        record_cmd "# scale: synthetic repository reused from $SCALE_CACHE ($key)"
    else
        log "scale: generating $SCALE_BACKUPS backups into $SCALE_CACHE (untimed; cached for later runs)"
        mkdir -p "$(dirname "$SCALE_CACHE")"
        run incus launch "$IMAGE" scale-template --project "$PROJECT" >&2
        run "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Name scale-template -Project "$PROJECT" -Target "dir:$WORK/scale-template" -Compression zstd)" >&2
        run incus delete --force scale-template --project "$PROJECT" >&2
        local t0; t0=$(date +%s.%N)
        run pwsh -NoProfile -NonInteractive -File bench/make-scale-repo.ps1 -Template "$WORK/scale-template" \
            -Destination "$SCALE_CACHE" -Instances "$SCALE_INSTANCES" -Versions "$SCALE_VERSIONS" >&2
        SCALE_GEN_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
        echo "$key" >"$SCALE_CACHE/.bench-key"
    fi
    # Two clones checked the way a user would, with no tool of ours.
    local first last
    # (awk, not head: head would leave sort writing to a closed pipe, which pipefail turns into a failure.)
    first=$(find "$SCALE_CACHE/instances" -mindepth 3 -maxdepth 3 -type d | sort | awk 'NR == 1')
    last=$(find "$SCALE_CACHE/instances" -mindepth 3 -maxdepth 3 -type d | sort | tail -n 1)
    (cd "$first" && sha256sum --quiet -c checksums.txt) && (cd "$last" && sha256sum --quiet -c checksums.txt) ||
        die "scale: the synthetic repository $SCALE_CACHE fails sha256sum -c; delete it to regenerate"
    SCALE_EXPECT=("$SCALE_BACKUPS" "$SCALE_INSTANCES" $((SCALE_INSTANCES * (SCALE_VERSIONS > 3 ? SCALE_VERSIONS - 3 : 0))))
    # The first case of round 1 reads every manifest and writes the listing cache (Get-IncusBackup help); every later
    # run lists from the cache: the minimum and median are cached listings, the first run's time is in the raw runs.
    local listing_cache=${XDG_CACHE_HOME:-$HOME/.cache}/incus-backup/listing
    record_cmd "rm -rf $listing_cache   # once, before the scale rounds"
    rm -rf "$listing_cache"
    round_robin scale scale_case "${#SCALE_CASES[@]}"
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

# Phases: one module backup of bench1 (-Compression zstd) and one restore of it (-NewName restored), each with
# -Verbose and -Debug (the Debug stream traces every Incus API call with its duration), every line stamped with the
# seconds elapsed on a Stopwatch started right before the call (Import-Module is before it; its time is the first
# line). Untimed otherwise; the lines go into the report as they are.
PHASES_BACKUP=
PHASES_RESTORE=
phases_script() {
    # $1: the cmdlet call. Streams 3 (warning), 4 (verbose), 5 (debug) and 6 (information) merged into the output.
    cat <<PS
\$ErrorActionPreference = 'Stop'
\$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $MODULE
'Import-Module: {0:n2} s' -f \$clock.Elapsed.TotalSeconds
\$clock.Restart()
$1 -Verbose -Debug 3>&1 4>&1 5>&1 6>&1 | ForEach-Object { '{0,7:n2}s {1}' -f \$clock.Elapsed.TotalSeconds, \$_ }
'{0,7:n2}s done' -f \$clock.Elapsed.TotalSeconds
PS
}
section_phases() {
    local repo=$WORK/phases-repo
    PHASES_BACKUP=$WORK/phases-backup.txt
    PHASES_RESTORE=$WORK/phases-restore.txt
    log "phases: one backup and one restore with -Verbose -Debug (untimed)"
    local backup="Backup-IncusInstance -Name $CT -Project $PROJECT -Target dir:$repo -Compression zstd"
    local restore="Restore-IncusInstance -Name $CT -Project $PROJECT -Target dir:$repo -NewName restored"
    record_cmd "# phases: $backup -Verbose -Debug; then $restore -Verbose -Debug (each in pwsh, lines stamped by a Stopwatch)"
    "${PWSH[@]}" "$(phases_script "$backup")" >"$PHASES_BACKUP" 2>&1 ||
        { tail -n 20 "$PHASES_BACKUP" >&2; die "phases: the backup failed"; }
    "${PWSH[@]}" "$(phases_script "$restore")" >"$PHASES_RESTORE" 2>&1 ||
        { tail -n 20 "$PHASES_RESTORE" >&2; die "phases: the restore failed"; }
    log "phases: done; deleting the restored copy"
    incus delete --force restored --project "$PROJECT"
    rm -rf "$repo"
}

# The consistency section: how long a running instance pauses for one backup. `Snapshot` mode on a btrfs pool (a
# loop file Incus creates) against `Freeze` mode on the dir pool, each container holding --size-mib of random data,
# one zstd backup each with -Verbose (untimed otherwise): the copy's and the freeze's durations are the module's
# own verbose lines, and the Snapshot-mode container's state is polled every 0.1 s throughout.
CONS_ROWS=()
consistency_run() {  # consistency_run MODE CONTAINER STATES-FILE
    local mode=$1 ct=$2 states=$3 out=$WORK/consistency-$1.txt repo=$WORK/consistency-repo-$1 t0 t1 poller
    ( while :; do incus list "$ct" --project "$PROJECT" -c s -f csv 2>/dev/null >>"$states"; sleep 0.1; done ) &
    poller=$!
    t0=$(date +%s.%N)
    "${PWSH[@]}" "Import-Module $MODULE; Backup-IncusInstance -Name $ct -Project $PROJECT -Target dir:$repo -Compression zstd -Consistency $mode -Verbose 4>&1 | ForEach-Object { \"\$_\" }" >"$out" 2>&1 ||
        { kill "$poller"; tail -n 20 "$out" >&2; die "consistency: the $mode backup failed"; }
    t1=$(date +%s.%N)
    kill "$poller"; wait "$poller" 2>/dev/null || true
    local copy pause seen
    copy=$(sed -n 's/.* in \([0-9.]*\) s (copy-on-write.*/\1/p' "$out" | head -n 1)
    pause=$(sed -n 's/^Thawed .* after \([0-9.]*\) s frozen.*/\1/p' "$out" | head -n 1)
    seen=$(sort -u "$states" | paste -sd, -)
    local pause_cell="none (polled: ${seen:-?})" copy_cell="—"
    [[ -n $pause ]] && pause_cell="$pause s frozen"
    [[ -n $copy ]] && copy_cell="$copy s"
    CONS_ROWS+=("| \`$mode\` | $4 | $pause_cell | $copy_cell | $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s |")
    record_cmd "pwsh -NoProfile -NonInteractive -Command 'Import-Module $MODULE; Backup-IncusInstance -Name $ct -Project $PROJECT -Target dir:<DIR> -Compression zstd -Consistency $mode -Verbose'   # while polling incus list $ct -c s every 0.1 s"
    rm -rf "$repo"
}
section_consistency() {
    COW_POOL=bench-cow-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
    local size_gib=$(( (SIZE_MIB * 3 + 1023) / 1024 + 1 ))
    log "consistency: btrfs pool $COW_POOL (loop file, ${size_gib} GiB), container cow1 with $SIZE_MIB MiB of random data"
    run incus storage create "$COW_POOL" btrfs "size=${size_gib}GiB" >&2
    run incus launch "$IMAGE" cow1 --project "$PROJECT" --storage "$COW_POOL" >&2
    run incus exec cow1 --project "$PROJECT" -- sh -c "head -c $((SIZE_MIB * 1048576)) /dev/urandom > /root/random.bin; sync"
    consistency_run Snapshot cow1 "$WORK/consistency-states-snapshot.txt" "btrfs (loop file)"
    consistency_run Freeze "$CT" "$WORK/consistency-states-freeze.txt" "dir"
    incus delete --force cow1 --project "$PROJECT" >/dev/null
}
consistency_report() {
    echo "## Consistency: how long a running instance pauses"
    echo
    echo "One zstd backup of a running container holding $(size_label "$SIZE_MIB") of random data in each mode, with \`-Verbose\`: the"
    echo "pause and the copy time are the module's own verbose lines (\"Thawed … after N s frozen\", \"Copied … in N s\"); in"
    echo "\`Snapshot\` mode the container's state was polled every 0.1 s during the whole backup. Single runs, untimed"
    echo "otherwise; *whole backup* includes pwsh start-up."
    echo
    echo "| mode | pool | pause of the instance | copy | whole backup |"
    echo "|---|---|---|--:|--:|"
    printf '%s\n' "${CONS_ROWS[@]}"
    echo
}

# The restic section: what restic's deduplication saves. Two backups of the running container (--size-mib of random
# data) into a fresh local restic repository, a small file changed in between; the repository's size (du) after each.
# Exports go uncompressed to restic (its default there), so its content-defined chunks find what the two share.
RESTIC_ROWS=()
restic_run() {  # restic_run LABEL REPO
    local out=$WORK/restic-$1.txt t0 t1 before after
    before=$(du -sb "$2" | cut -f1)
    t0=$(date +%s.%N)
    RESTIC_PASSWORD=bench "${PWSH[@]}" "Import-Module $MODULE; Backup-IncusInstance -Name $CT -Project $PROJECT -Target restic:$2 | Out-Null" >"$out" 2>&1 ||
        { tail -n 20 "$out" >&2; die "restic: the $1 backup failed"; }
    t1=$(date +%s.%N)
    after=$(du -sb "$2" | cut -f1)
    RESTIC_ROWS+=("$1|$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')|$((after - before))")
}
section_restic() {
    local repo=$WORK/restic-repo
    log "restic: two backups of $CT into a local restic repository, a small file changed in between"
    RESTIC_REPOSITORY=$repo RESTIC_PASSWORD=bench restic init --quiet --repository-version 2
    record_cmd "RESTIC_REPOSITORY=<DIR> RESTIC_PASSWORD=bench restic init --repository-version 2"
    restic_run first "$repo"
    run incus exec "$CT" --project "$PROJECT" -- sh -c 'date > /root/changed.txt'
    restic_run second "$repo"
    record_cmd "RESTIC_PASSWORD=bench pwsh -NoProfile -NonInteractive -Command 'Import-Module $MODULE; Backup-IncusInstance -Name $CT -Project $PROJECT -Target restic:<DIR>'   # twice, du -sb <DIR> before and after each; incus exec $CT -- sh -c 'date > /root/changed.txt' in between"
    rm -rf "$repo"
}
restic_report() {
    local first_growth label seconds growth
    first_growth=${RESTIC_ROWS[0]##*|}
    echo "## restic: deduplication of consecutive backups"
    echo
    echo "Two backups of the running container holding $(size_label "$SIZE_MIB") of random data into a fresh local restic"
    echo "repository (format 2), a small file changed in between (\`date > /root/changed.txt\`). The export goes to"
    echo "restic uncompressed, its default on a restic target. Growth is the repository's size (\`du -sb\`) after the backup"
    echo "minus before it. Single runs; *time* includes pwsh start-up."
    echo
    echo "| backup | time | repository growth | growth / first backup's |"
    echo "|---|--:|--:|--:|"
    for row in "${RESTIC_ROWS[@]}"; do
        IFS='|' read -r label seconds growth <<<"$row"
        echo "| $label | $seconds s | $(awk -v b="$growth" 'BEGIN {printf "%.1f MiB", b / 1048576}') | $(awk -v g="$growth" -v f="$first_growth" 'BEGIN {printf "%.2f%%", 100 * g / f}') |"
    done
    echo
}

# The https section: the same backup and restore over HTTPS to 127.0.0.1, the module through -Remote and the incus CLI
# through the same remote of a throwaway INCUS_CONF (its client certificate trusted for the run, the server's pinned in
# servercerts/), so that both pay for TLS alike. The server listens on 127.0.0.1 for the section only, unless it
# already listens somewhere; the trust entry and the listener are removed again at exit.
HTTPS_CONF=
HTTPS_TRUSTED=        # the fingerprint of the client certificate added to the trust store
HTTPS_SET_ADDRESS=0   # 1 when this section set core.https_address (and unsets it at exit)
HTTPS_ARCHIVE=
HTTPS_BACKUP_CLI="incus export bench:$CT + sync (HTTPS)"
HTTPS_BACKUP_MODULE="Backup-IncusInstance -Remote bench (HTTPS)"
HTTPS_RESTORE_CLI="incus import bench: (HTTPS)"
HTTPS_RESTORE_MODULE="Restore-IncusInstance -Remote bench -NewName (HTTPS)"
https_cleanup() {
    [[ -n $HTTPS_TRUSTED ]] && incus config trust remove "$HTTPS_TRUSTED" >/dev/null 2>&1
    ((HTTPS_SET_ADDRESS)) && incus config unset core.https_address >/dev/null 2>&1
    HTTPS_TRUSTED=; HTTPS_SET_ADDRESS=0
}
https_case() {
    local env=(env "INCUS_CONF=$HTTPS_CONF")
    case $1 in
        0) measure --comp zstd "$HTTPS_BACKUP_CLI" \
               "${env[@]}" sh -c "incus export bench:$CT @DIR@/backup.tar.zst --project '$PROJECT' --compression zstd --quiet && sync" ;;
        1) measure --comp zstd "$HTTPS_BACKUP_MODULE" \
               "${env[@]}" "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Remote bench -Name "$CT" -Project "$PROJECT" -Target dir:@DIR@ -Compression zstd)" ;;
        2) measure --kind restore --comp zstd "$HTTPS_RESTORE_CLI" \
               "${env[@]}" incus import bench: "$HTTPS_ARCHIVE" restored --project "$PROJECT" ;;
        3) measure --kind restore --comp zstd "$HTTPS_RESTORE_MODULE" \
               "${env[@]}" "${PWSH[@]}" "$(module_cmd Restore-IncusInstance -Remote bench -Name "$CT" -Project "$PROJECT" -Target "dir:$WORK/https-repo" -NewName restored)" ;;
    esac
    if (($1 >= 2)); then incus delete --force restored --project "$PROJECT"; fi
}
section_https() {
    local address port
    address=$(incus config get core.https_address)
    if [[ -z $address ]]; then
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        HTTPS_SET_ADDRESS=1
        run incus config set core.https_address "127.0.0.1:$port" >&2
    else
        port=${address##*:}
    fi
    HTTPS_CONF=$WORK/incus-conf
    mkdir -p "$HTTPS_CONF/servercerts"
    run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 -subj /CN=incus-backup-bench \
        -keyout "$HTTPS_CONF/client.key" -out "$HTTPS_CONF/client.crt" 2>/dev/null
    HTTPS_TRUSTED=$(openssl x509 -in "$HTTPS_CONF/client.crt" -outform der | sha256sum | cut -c1-64)
    run incus config trust add-certificate "$HTTPS_CONF/client.crt" --name "bench-$PROJECT" >&2
    cp "$INCUS_DIR/server.crt" "$HTTPS_CONF/servercerts/bench.crt"
    printf 'default-remote: local\nremotes:\n  bench:\n    addr: https://127.0.0.1:%s\n    protocol: incus\n    public: false\n' "$port" >"$HTTPS_CONF/config.yml"
    record_cmd "# INCUS_CONF=<conf>: client.crt/.key (openssl, ECDSA P-384, trusted), servercerts/bench.crt, config.yml with remote bench: https://127.0.0.1:$port"
    log "https: taking the backup to restore (untimed)"
    run env "INCUS_CONF=$HTTPS_CONF" "${PWSH[@]}" "$(module_cmd Backup-IncusInstance -Remote bench -Name "$CT" -Project "$PROJECT" -Target "dir:$WORK/https-repo" -Compression zstd)" >&2
    HTTPS_ARCHIVE=$(find "$WORK/https-repo/instances" -name 'export.tar.*' | head -n 1)
    [[ -n $HTTPS_ARCHIVE ]] || die "https: the module backup to restore is missing"
    round_robin https https_case 4
    https_cleanup
}
https_report() {
    local bc bm rc rm
    bc=$(run_stat "$HTTPS_BACKUP_CLI" '$3' median); bm=$(run_stat "$HTTPS_BACKUP_MODULE" '$3' median)
    rc=$(run_stat "$HTTPS_RESTORE_CLI" '$3' median); rm=$(run_stat "$HTTPS_RESTORE_MODULE" '$3' median)
    echo "## HTTPS: a remote server"
    echo
    echo "The container holding $(size_label "$SIZE_MIB") of random data backed up and restored over HTTPS to 127.0.0.1: the"
    echo "module through \`-Remote bench\`, the incus CLI through the same remote of the same throwaway INCUS_CONF (one"
    echo "trusted ECDSA P-384 client certificate, the server's certificate pinned), both zstd. The restore imports the"
    echo "same archive under another name. $RUNS round(s), interleaved; wall time of the whole process (the module's"
    echo "includes pwsh start-up)."
    echo
    echo "| case | median (s) | min (s) | ratio (median) | ratio (min) | peak RSS median (MiB) |"
    echo "|---|--:|--:|--:|--:|--:|"
    local c ref
    for c in "$HTTPS_BACKUP_CLI" "$HTTPS_BACKUP_MODULE" "$HTTPS_RESTORE_CLI" "$HTTPS_RESTORE_MODULE"; do
        case $c in "$HTTPS_BACKUP_CLI"|"$HTTPS_BACKUP_MODULE") ref=$HTTPS_BACKUP_CLI ;; *) ref=$HTTPS_RESTORE_CLI ;; esac
        echo "| $c | $(fmt "$(col_stat "$c" 3 median)" %.2f) | $(fmt "$(col_stat "$c" 3 min)" %.2f) | $(ratio "$(col_stat "$c" 3 median)" "$(col_stat "$ref" 3 median)") | $(ratio "$(col_stat "$c" 3 min)" "$(col_stat "$ref" 3 min)") | $(mib "$(col_stat "$c" 4 median)") |"
    done
    echo
    echo "Backup over HTTPS: module / CLI = **$(ratio "$bm" "$bc")×** (median); restore: **$(ratio "$rm" "$rc")×**."
    echo
}

# ---------------------------------------------------------------------------------------------- report
# run_stat CASE AWK-EXPR min|median: the statistic of EXPR over the case's runs in $RAW; runs where EXPR is empty
# do not count. (Columns: 3 wall, 4 rss KiB, 5 user, 6 sys, 7 out bytes, 9 server peak, 11 in-process seconds.)
# stats_init computes both statistics of the usual expressions for every case in one awk pass (STAT), so that the
# report does not start hundreds of processes; run_stat falls back to its own pass for any other expression.
run_stat() {
    local key="$1|$2|$3"
    if [[ -n ${STAT[$key]+x} ]]; then echo "${STAT[$key]}"; return; fi
    awk -F'\t' -v n="$1" '$1==n {print '"$2"'}' "$RAW" | sort -g | awk -v how="$3" '
        NF {v[++k]=$1}
        END {
            if (k == 0) { print ""; exit }
            if (how == "min") { print v[1]; exit }
            if (k % 2) print v[(k+1)/2]; else printf "%.15g\n", (v[k/2] + v[k/2+1]) / 2
        }'
}
declare -A STAT=()
stats_init() {
    local exprs=('$3' '$4' '$5 + $6' '$7' '$9' "$TIME_EXPR" '($11 != "" ? $3 - $11 : "")') prog='' i c e mn md
    for i in "${!exprs[@]}"; do
        prog+="v = ${exprs[i]}; if (v \"\" != \"\") { k = \$1 SUBSEP $i; n[k]++; val[k, n[k]] = v }; "
    done
    # A case with no value for an expression (no output file, no in-process time) has empty statistics.
    for c in "${CASES[@]}"; do
        for e in "${exprs[@]}"; do STAT["$c|$e|min"]=; STAT["$c|$e|median"]=; done
    done
    while IFS=$'\t' read -r c i mn md; do
        e=${exprs[i]}
        STAT["$c|$e|min"]=$mn
        STAT["$c|$e|median"]=$md
    done < <(awk -F'\t' '{ '"$prog"' }
        END {
            for (k in n) {
                m = n[k]
                # insertion sort by value, keeping each value as it was printed
                for (a = 2; a <= m; a++) {
                    x = val[k, a]
                    for (b = a - 1; b >= 1 && val[k, b] + 0 > x + 0; b--) val[k, b + 1] = val[k, b]
                    val[k, b + 1] = x
                }
                split(k, parts, SUBSEP)
                med = (m % 2) ? val[k, (m + 1) / 2] : sprintf("%.15g", (val[k, m / 2] + val[k, m / 2 + 1]) / 2)
                print parts[1] "\t" parts[2] "\t" val[k, 1] "\t" med
            }
        }' "$RAW")
}
# col_stat CASE COLUMN min|median
col_stat() { run_stat "$1" "\$$2" "$3"; }
cpu_median() { run_stat "$1" '$5 + $6' median; }
# The time of a run: measured inside the process when the command reported it, else its wall time.
TIME_EXPR='($11 != "" ? $11 : $3)'
# fmt NUMBER PRINTF-FORMAT: formatted, or — when empty.
fmt() { if [[ -n $1 ]]; then printf "$2" "$1"; else printf '—'; fi; }
# mib KIB: whole MiB, — when empty.
mib() { if [[ -n $1 ]]; then local k; printf -v k '%.0f' "$1"; echo $((k / 1024)); else printf '—'; fi; }
# ratio A B: A / B to 2 decimals, — when either is missing.
ratio() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "—"}'; else printf '—'; fi; }
has_kind() { local c; for c in "${CASES[@]}"; do [[ ${CASE_KIND[$c]} == "$1" ]] && return 0; done; return 1; }
has_other_than_hash_scale() { local c; for c in "${CASES[@]}"; do [[ ${CASE_KIND[$c]} != hash && ${CASE_KIND[$c]} != scale ]] && return 0; done; return 1; }

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
            "$(cpu_median "$c") | $(mib "$(col_stat "$c" 4 median)") |"
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
    echo "apparent size of \`$INCUS_DIR/backups/instances/${PROJECT}_*\` (all the project's instances together) sampled"
    echo "every 0.05 s (the server-side copy; on the same disk it adds to the client's copy)."
    echo
    echo "| case | compression | wall min (s) | wall median (s) | excl. start-up (s) | client CPU median (s) | peak RSS median (MiB) | output (bytes) | server peak (bytes) |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|--:|"
    for c in "${CASES[@]}"; do
        [[ ${CASE_KIND[$c]} != hash && ${CASE_KIND[$c]} != scale ]] || continue
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

# The summary: every module case against its reference case, as ratios. Rows whose cases were not measured are left out.
STARTUP_CASE="PowerShell start-up + Import-Module only"
# ratio_row LABEL MODULE-CASE REFERENCE-CASE HOW
#   HOW time:    module ÷ reference on wall time (below 1: the module is faster); the excl. start-up columns subtract
#                the start-up case from the module's time (median from median, min from min)
#       speedup: reference ÷ module (above 1: the module is faster), excl. start-up likewise
#       inproc:  module ÷ reference on the in-process time (the module's own Stopwatch; no start-up in it)
#       plain:   module ÷ reference on wall time, nothing subtracted (the start-up row)
ratio_row() {
    local label=$1 mod=$2 ref=$3 how=$4
    [[ -n ${CASE_CMD[$mod]+x} && -n ${CASE_CMD[$ref]+x} ]] || return 0
    local expr='$3'; [[ $how == inproc ]] && expr=$TIME_EXPR
    local mm mn rm rn reads med mi xmed='—' xmin='—' xm xn
    mm=$(run_stat "$mod" "$expr" median); mn=$(run_stat "$mod" "$expr" min)
    rm=$(run_stat "$ref" "$expr" median); rn=$(run_stat "$ref" "$expr" min)
    if [[ $how == speedup ]]; then
        reads="reference ÷ module (speed-up; > 1: module faster)"; med=$(ratio "$rm" "$mm"); mi=$(ratio "$rn" "$mn")
    else
        reads="module ÷ reference (< 1: module faster)"; med=$(ratio "$mm" "$rm"); mi=$(ratio "$mn" "$rn")
    fi
    [[ $how == inproc ]] && reads="module ÷ reference, in-process time (< 1: module faster)"
    if [[ ($how == time || $how == speedup) && -n $STARTUP_MED ]]; then
        xm=$(awk -v a="$mm" -v b="$STARTUP_MED" 'BEGIN {print a - b}')
        xn=$(awk -v a="$mn" -v b="$STARTUP_MIN" 'BEGIN {print a - b}')
        if [[ $how == speedup ]]; then xmed=$(ratio "$rm" "$xm"); xmin=$(ratio "$rn" "$xn"); else xmed=$(ratio "$xm" "$rm"); xmin=$(ratio "$xn" "$rn"); fi
    fi
    echo "| $label | $mod | $ref | $reads | $(fmt "$mm" %.2f) | $(fmt "$rm" %.2f) |" \
        "$(fmt "$(awk -v a="$mm" -v b="$rm" 'BEGIN {print a - b}')" %+.2f) | **$med** | $mi | $xmed | $xmin |" \
        "$(mib "$(col_stat "$mod" 4 median)") |"
}

size_label() { if (($1 % 1024 == 0)); then echo "$(($1 / 1024)) GiB"; else echo "$1 MiB"; fi; }

ratios_report() {
    local size; size=$(size_label "$SIZE_MIB")
    echo "## Ratios"
    echo
    echo "Each module case against its reference, from the tables below. *Ratio* = module time ÷ reference time (below 1:"
    echo "the module is faster), except the many-instances row, a speed-up = reference time ÷ module time (above 1: the"
    echo "module is faster). *Median* = ratio of the two medians, *min* = ratio of the two minimums (each side's best run,"
    echo "the least disturbed by other load on the machine). *Difference* = module median − reference median. The module"
    echo "runs in a fresh pwsh each time, so its times include pwsh start-up and Import-Module; *excl. start-up* subtracts"
    echo "the median (min) of \"$STARTUP_CASE\" (${STARTUP_MED:-not measured} s; min ${STARTUP_MIN:-—} s) from"
    echo "the module's time first. *Peak RSS* = the module process's (pwsh's) maximum resident set, median; incusd's is"
    echo "not counted on either side. $RUNS round(s), load average $LOAD_START at the start."
    echo
    echo "| goal | module | reference | ratio is | module median (s) | reference median (s) | difference (s) | ratio median | ratio min | excl. start-up median | excl. start-up min | module peak RSS (MiB) |"
    echo "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    ratio_row "Backup $size, zstd" "Backup-IncusInstance -Compression zstd" "incus export --compression zstd + sync" time
    ratio_row "Backup $size, zstd (incus not synced)" "Backup-IncusInstance -Compression zstd" "incus export --compression zstd" time
    ratio_row "Backup $size, no compression" "Backup-IncusInstance -Compression none" "incus export --compression none + sync" time
    [[ ${SERVER_COMP:-} == gzip ]] &&
        ratio_row "Backup $size, gzip (not synced)" "Backup-IncusInstance -Compression gzip" "incus export (defaults)" time
    ratio_row "Restore $size (zstd archive)" "Restore-IncusInstance -NewName" "incus import (same archive)" time
    ratio_row "Restore $size, -ProfileMap" "Restore-IncusInstance -NewName -ProfileMap" "incus import (same archive)" time
    [[ -n ${PAR_SIZE_MIB:-} ]] &&
        ratio_row "$PAR_COUNT instances × $PAR_SIZE_MIB MiB, zstd" "$PAR_MODULE_CASE" "$PAR_LOOP_CASE" speedup
    ratio_row "Start-up (difference = the module's fixed cost)" "$STARTUP_FIRST_CASE" "$STARTUP_BARE_CASE" plain
    ratio_row "SHA-256 of $size (warm cache)" "$HASH_MODULE_CASE" "sha256sum" inproc
    ratio_row "SHA-256 of $size (warm cache)" "$HASH_MODULE_CASE" "openssl dgst -sha256" inproc
    echo
}

# The scale section's part of the report.
scale_report() {
    local c i out med min
    echo "## Repository scale"
    echo
    echo "A synthetic directory repository of $(fmt_bytes "$SCALE_BACKUPS") backups ($SCALE_INSTANCES instances × $SCALE_VERSIONS nightly versions in one"
    echo "project), cloned by bench/make-scale-repo.ps1 from one real Backup-IncusInstance backup of a tiny container:"
    echo "each clone has its own manifest.json (name, version, times) and a regenerated checksums.txt, and hard-links the"
    echo "archive. $(if [[ -n $SCALE_GEN_SECONDS ]]; then echo "Generated in $SCALE_GEN_SECONDS s (untimed),"; else echo "Reused from the cache,"; fi) kept in \`$SCALE_CACHE\`."
    echo "*Time*: a Stopwatch inside pwsh around the one cmdlet call (bench/scale-module.ps1; pwsh start-up and"
    echo "Import-Module are outside it; the records are kept in a variable, as a script would). The retention plan writes"
    echo "one \"What if:\" line per backup it would remove to the host (here a file), and removes nothing. *Peak RSS*: the"
    echo "whole pwsh process (a bare pwsh is $(mib "$(col_stat "$STARTUP_BARE_CASE" 4 median)") MiB)."
    echo
    echo "| operation | output | time min (s) | time median (s) | backups/s (median) | process wall median (s) | peak RSS median (MiB) |"
    echo "|---|---|--:|--:|--:|--:|--:|"
    for i in "${!SCALE_CASES[@]}"; do
        c=${SCALE_CASES[$i]}
        [[ -n ${CASE_CMD[$c]+x} ]] || continue
        if [[ ${SCALE_OPS[$i]} == Retention ]]; then out="$(fmt_bytes "${SCALE_EXPECT[$i]}") to remove"; else out="$(fmt_bytes "${SCALE_EXPECT[$i]}") records"; fi
        med=$(run_stat "$c" "$TIME_EXPR" median); min=$(run_stat "$c" "$TIME_EXPR" min)
        echo "| \`$c\` | $out | $(fmt "$min" %.2f) | $(fmt "$med" %.2f) |" \
            "$(fmt_bytes "$(awk -v n="$SCALE_BACKUPS" -v t="$med" 'BEGIN {if (t > 0) print n / t}')") | $(col_stat "$c" 3 median) |" \
            "$(mib "$(col_stat "$c" 4 median)") |"
    done
    echo
}

# The phases section's part of the report.
phases_report() {
    local size; size=$(size_label "$SIZE_MIB")
    echo "## Phases"
    echo
    echo "One backup and one restore of \`$CT\` ($size), each in pwsh with \`-Verbose -Debug\` (Debug traces every Incus API"
    echo "call with the time the server took to answer), warning, verbose, debug and information streams merged; every line"
    echo "is stamped with the seconds since the call started (a Stopwatch restarted after Import-Module). Untimed otherwise,"
    echo "and a single run: read the gaps between lines, not the totals."
    echo
    echo "### Backup-IncusInstance -Compression zstd"
    echo
    echo '```text'
    cat "$PHASES_BACKUP"
    echo '```'
    echo
    echo "### Restore-IncusInstance -NewName restored"
    echo
    echo '```text'
    cat "$PHASES_RESTORE"
    echo '```'
    echo
}

write_report() {
    stats_init
    local startup; startup=$(col_stat "$STARTUP_CASE" 3 median)
    STARTUP_MED=$startup
    STARTUP_MIN=$(col_stat "$STARTUP_CASE" 3 min)
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
            if [[ ,$SECTIONS, == *,backup,* ]] && ((GZIP_ROUNDS < RUNS)); then
                echo "The gzip cases (\"${GZIP_CASE_NAMES[0]}\", \"${GZIP_CASE_NAMES[1]}\") ran in $GZIP_ROUNDS of the $RUNS rounds (\`--gzip-rounds\`)."
            fi
            [[ -n ${PAR_SIZE_MIB:-} ]] &&
                echo "The parallel section's $PAR_COUNT containers (${PAR_CTS[*]}) hold $PAR_SIZE_MIB MiB of random data each."
        fi
        echo
        ratios_report
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
        echo "| module | IncusBackup $(sed -n "s/.*ModuleVersion *= *'\(.*\)'.*/\1/p" module/IncusBackup/IncusBackup.psd1), repo commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' (+ uncommitted changes)') |"
        echo -n "| disk | output dir: $(df -h --output=avail,size,source "$WORK_PARENT" | tail -n 1 | awk '{print $1 " free of " $2 " on " $3}')"
        if ((NEED_INCUS)); then
            echo -n "; $INCUS_DIR: $(df -h --output=avail,source "$INCUS_DIR" | tail -n 1 | awk '{print $1 " free on " $2}')$SAME_DISK_NOTE"
        fi
        echo " |"
        echo "| load average | start: $LOAD_START; end: $(cut -d' ' -f1-3 /proc/loadavg) |"
        ((NEED_INCUS)) && echo "| test data | written in ${WRITE_SECONDS} s |"
        echo
        has_other_than_hash_scale && results_report "$startup"
        has_kind scale && scale_report
        has_kind hash && hash_report
        [[ -n $PHASES_BACKUP ]] && phases_report
        ((${#CONS_ROWS[@]})) && consistency_report
        ((${#RESTIC_ROWS[@]})) && restic_report
        [[ -n $HTTPS_ARCHIVE ]] && https_report
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
        ((NEED_INCUS)) && echo "incus delete --force <each instance> --project $PROJECT; incus project delete $PROJECT"
        echo "rm -rf $WORK"
        echo '```'
        echo
        if [[ -n ${BENCH_COMMAND:-} ]]; then
            echo "Benchmark command: \`$BENCH_COMMAND\`, which ran \`bench/backup-bench.sh $ORIG_ARGS\`"
        else
            echo "Benchmark command: \`bench/backup-bench.sh $ORIG_ARGS\`"
        fi
    } >"$REPORT"
}

# ---------------------------------------------------------------------------------------------- main
NEED_INCUS=0
for s in ${SECTIONS//,/ }; do
    declare -F "section_$s" >/dev/null || die "unknown section '$s' (${ALL_SECTIONS//,/, })"
    [[ $s == hash || $s == startup ]] || NEED_INCUS=1
done
ORIG_ARGS="--size-mib $SIZE_MIB --runs $RUNS --sections $SECTIONS"
[[ ,$SECTIONS, == *,backup,* ]] && ORIG_ARGS+=" --gzip-rounds $GZIP_ROUNDS"
[[ ,$SECTIONS, == *,scale,* ]] && ORIG_ARGS+=" --scale-backups $SCALE_BACKUPS --scale-versions $SCALE_VERSIONS"
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

mkdir -p "$WORK_PARENT" "$RESULTS_DIR" "$(dirname "$REPORT")"
WORK=$(mktemp -d "$WORK_PARENT/incus-bench.XXXXXX")
RAW=$WORK/raw.tsv; : >"$RAW"
# Backup and restore: the client copy, the server's temporary copy and the container's data; hash: its one file.
need_kib=$(( SIZE_MIB * 1024 * (3 * NEED_INCUS) + 1024 * 1024 ))
[[ ,$SECTIONS, == *,hash,* ]] && need_kib=$(( need_kib + SIZE_MIB * 1024 ))
# Parallel: the eight containers' data and their copies (the server's and the client's overlap only partly).
[[ ,$SECTIONS, == *,parallel,* ]] && need_kib=$(( need_kib + 2 * SIZE_MIB * 1024 ))
# Scale, when not cached yet: about 12 KiB of folder, manifest and checksums per backup.
[[ ,$SECTIONS, == *,scale,* ]] && need_kib=$(( need_kib + 12 * SCALE_BACKUPS ))
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

log "writing the report"
write_report
cat "$REPORT"
echo
echo "Report: $REPORT"
