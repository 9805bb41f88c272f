#!/usr/bin/env bash
# Installs, starts and initialises a local Incus server for development, tests and CI (Debian 12, root).
# Idempotent: every step checks first. What it does, in order:
#   1. Incus 6.0.x from Debian bookworm-backports (+ busybox-static, zstd, xz, bzip2, lz4, dnsmasq for the bridge,
#      btrfs-progs for the copy-on-write pool tests, restic for the restic: target, rclone to serve it over REST)
#   2. starts incusd without systemd if it is not answering
#   3. first run only: a dir pool "default", a default profile with a root disk, bridge incusbr0 (host-only)
#   4. imports the tiny busybox image "busybox-test" that tests and the quick start launch
set -euo pipefail

log() { printf '[setup-incus] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-incus.sh must run as root (it installs packages and starts incusd)." >&2
    exit 1
fi

need_packages=()
command -v incus >/dev/null 2>&1 || need_packages+=(incus-base incus-client)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically' || need_packages+=(busybox-static)
command -v zstd >/dev/null 2>&1 || need_packages+=(zstd)
command -v xz >/dev/null 2>&1 || need_packages+=(xz-utils)
command -v dnsmasq >/dev/null 2>&1 || need_packages+=(dnsmasq-base)
command -v file >/dev/null 2>&1 || need_packages+=(file)
# The archive tests decompress every format Incus can write.
command -v bzip2 >/dev/null 2>&1 || need_packages+=(bzip2)
command -v lz4 >/dev/null 2>&1 || need_packages+=(lz4)
# The copy-on-write tests create a small btrfs pool on a loop file (Snapshot consistency mode).
command -v mkfs.btrfs >/dev/null 2>&1 || need_packages+=(btrfs-progs)
# The restic: target drives Debian's restic (0.14).
command -v restic >/dev/null 2>&1 || need_packages+=(restic)
# The restic tests serve a REST repository with rclone serve restic (a real implementation of restic's REST protocol).
command -v rclone >/dev/null 2>&1 || need_packages+=(rclone)
# The bench's https section makes a throwaway client certificate with openssl.
command -v openssl >/dev/null 2>&1 || need_packages+=(openssl)

if [ ${#need_packages[@]} -gt 0 ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
        uri=${uri:-http://deb.debian.org/debian}
        log "adding bookworm-backports from $uri"
        cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    log "installing: ${need_packages[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t bookworm-backports "${need_packages[@]}" >/dev/null
fi

if ! incus info >/dev/null 2>&1; then
    log "starting incusd"
    mkdir -p /var/log/incus
    nohup /usr/libexec/incus/incusd --group root >/var/log/incus/incusd.out 2>&1 &
    incus admin waitready --timeout 60
fi

if ! incus storage show default >/dev/null 2>&1; then
    log "initialising: dir pool 'default' and the default profile's root disk"
    incus admin init --preseed <<'YAML'
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
YAML
fi

# The default profile's root disk is what `incus launch` in a project without its own profiles relies on: put it
# back if something removed it (a CI run once found the pool but an empty default profile).
if ! incus profile device get default root pool >/dev/null 2>&1; then
    log "the default profile has no root disk: adding one on pool 'default'"
    incus profile device add default root disk path=/ pool=default >/dev/null
fi

if ! incus network show incusbr0 >/dev/null 2>&1; then
    log "creating bridge incusbr0 (host-only, no NAT)"
    incus network create incusbr0 ipv4.address=10.99.0.1/24 ipv4.nat=false ipv6.address=none >/dev/null
fi

if ! incus image show busybox-test >/dev/null 2>&1; then
    log "building the busybox-test image"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work"/rootfs/{bin,sbin,proc,sys,dev,tmp,etc,root}
    cp /bin/busybox "$work/rootfs/bin/busybox"
    for applet in sh ls cat sleep init mkdir sha256sum dd head echo sync rm mv cp touch; do
        ln -s busybox "$work/rootfs/bin/$applet"
    done
    ln -s ../bin/busybox "$work/rootfs/sbin/init"
    cat > "$work/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: busybox test image
  os: busybox
META
    tar -C "$work" -cJf "$work/metadata.tar.xz" metadata.yaml
    tar -C "$work/rootfs" -cJf "$work/rootfs.tar.xz" .
    incus image import "$work/metadata.tar.xz" "$work/rootfs.tar.xz" --alias busybox-test >/dev/null
fi

log "Incus $(incus version 2>/dev/null | awk '/Server version/ {print $3}') is ready"
