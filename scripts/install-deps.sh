#!/usr/bin/env bash
# Installs and starts what the test suite uses, on Debian 12 (or a close relative):
# PostgreSQL (127.0.0.1:5432, user postgres, trust auth), Mosquitto (1883), Chromium with its
# WebDriver, and CJK fonts for screenshots. Idempotent: when everything is there it only checks,
# in about a second. Prints one line per dependency: present / installed / started.
#
# Runs as root, or through sudo otherwise. Never reads standard input.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [[ $EUID -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
        echo "install-deps: not root and sudo is missing; run this script as root" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

report() { printf '  %-22s %s\n' "$1" "$2"; }

# Runs a command as the postgres system user (local socket, peer authentication).
as_postgres() {
    if [[ $EUID -eq 0 ]] && command -v runuser >/dev/null; then
        runuser -u postgres -- "$@"
    else
        sudo -u postgres -- "$@"
    fi
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

echo "install-deps: checking test dependencies"

# --- Debian packages --------------------------------------------------------------------------
# name of the package, and a file that proves it is usable
packages=(
    "postgresql:/usr/bin/pg_ctlcluster"
    "mosquitto:/usr/sbin/mosquitto"
    "chromium:/usr/bin/chromium"
    "chromium-driver:/usr/bin/chromedriver"
    "fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
if ! command -v cc >/dev/null; then
    # Rust needs a C linker.
    packages+=("build-essential:/usr/bin/cc")
fi

missing=()
for entry in "${packages[@]}"; do
    pkg=${entry%%:*}
    file=${entry#*:}
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && [[ -e $file ]]; then
        report "$pkg" present
    else
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null; then
        echo "install-deps: missing ${missing[*]} and apt-get is not available; install them by hand" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    # fonts-liberation gives Chromium its usual Latin fonts without pulling every recommendation.
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" fonts-liberation </dev/null
    for pkg in "${missing[@]}"; do
        report "$pkg" installed
    done
fi

# --- Rust tools the test script runs ----------------------------------------------------------
if ! command -v cargo >/dev/null && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
    echo "install-deps: cargo is not installed; install Rust from https://rustup.rs" >&2
    exit 1
fi
for component in rustfmt clippy; do
    sub=fmt
    [[ $component == clippy ]] && sub=clippy
    if cargo "$sub" --version >/dev/null 2>&1; then
        report "$component" present
    elif command -v rustup >/dev/null; then
        rustup component add "$component" </dev/null
        report "$component" installed
    else
        echo "install-deps: cargo $sub is missing and rustup is not available" >&2
        exit 1
    fi
done

# --- PostgreSQL server ------------------------------------------------------------------------
pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 -t 1 >/dev/null 2>&1; }

if pg_ready; then
    report "postgresql server" "present (accepting connections on 127.0.0.1:5432)"
else
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z $version ]]; then
        # The package is there but no cluster was created (e.g. removed by hand): make one.
        version=$(ls /usr/lib/postgresql | sort -V | tail -1)
        echo "install-deps: creating PostgreSQL cluster $version/main"
        "${SUDO[@]}" pg_createcluster "$version" main </dev/null
    fi
    "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null 2>/dev/null ||
        "${SUDO[@]}" service postgresql start </dev/null ||
        true
    for _ in $(seq 1 60); do
        pg_ready && break
        sleep 0.5
    done
    if ! pg_ready; then
        echo "install-deps: PostgreSQL did not start; see /var/log/postgresql/" >&2
        exit 1
    fi
    report "postgresql server" started
fi

pg_trust_ok() { psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'select 1' </dev/null >/dev/null 2>&1; }

if pg_trust_ok; then
    report "postgresql trust auth" present
else
    hba=$(as_postgres psql -w -tAc 'show hba_file' </dev/null 2>/dev/null | head -1 || true)
    if [[ -z $hba ]]; then
        hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -1 || true)
    fi
    if [[ -z $hba ]]; then
        echo "install-deps: psql -h 127.0.0.1 -U postgres fails and pg_hba.conf was not found" >&2
        exit 1
    fi
    # pg_hba.conf is read top to bottom and the first match wins, so the lines go first.
    # They let only the postgres user in, only from this machine, for local test use.
    tmp=$(mktemp)
    {
        echo "# added by lifehealth scripts/install-deps.sh for local tests: postgres over loopback without a password"
        echo "host    all    postgres    127.0.0.1/32    trust"
        echo "host    all    postgres    ::1/128         trust"
        "${SUDO[@]}" cat "$hba"
    } >"$tmp"
    "${SUDO[@]}" cp "$hba" "$hba.before-lifehealth"
    "${SUDO[@]}" cp "$tmp" "$hba"
    rm -f "$tmp"
    as_postgres psql -w -tAc 'select pg_reload_conf()' </dev/null >/dev/null
    sleep 0.5
    echo "install-deps: added 'host all postgres 127.0.0.1/32 trust' and '::1/128 trust' at the top of $hba (old copy: $hba.before-lifehealth) and reloaded PostgreSQL"
    if ! pg_trust_ok; then
        echo "install-deps: psql -h 127.0.0.1 -U postgres still fails after changing $hba" >&2
        psql -w -h 127.0.0.1 -U postgres -d postgres -c 'select 1' </dev/null >&2 || true
        exit 1
    fi
    report "postgresql trust auth" "installed (pg_hba.conf changed)"
fi

# --- Mosquitto --------------------------------------------------------------------------------
if port_open 1883; then
    report "mosquitto server" "present (port 1883 open)"
else
    # The Debian configuration writes its pid under /run/mosquitto, which systemd normally makes.
    "${SUDO[@]}" install -d -o mosquitto -g mosquitto /run/mosquitto /var/log/mosquitto 2>/dev/null || true
    "${SUDO[@]}" mosquitto -d -c /etc/mosquitto/mosquitto.conf </dev/null
    for _ in $(seq 1 40); do
        port_open 1883 && break
        sleep 0.25
    done
    if ! port_open 1883; then
        echo "install-deps: Mosquitto did not open port 1883; see /var/log/mosquitto/mosquitto.log" >&2
        exit 1
    fi
    report "mosquitto server" started
fi

echo "install-deps: all test dependencies ready"
