#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this): dependencies, formatting, lints,
# then every test of the workspace. Integration tests run against SQLite and against the
# PostgreSQL server at LIFEHEALTH_TEST_POSTGRES_URL; the browser test drives headless Chromium.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

# Two cores: two compiler jobs. Incremental builds only pay off locally.
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
export LIFEHEALTH_TEST_POSTGRES_URL=${LIFEHEALTH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if [[ ${CI:-} == true ]]; then
    export CARGO_INCREMENTAL=0
fi

start=$SECONDS
step() { printf '\n==> %s  (%ds elapsed)\n' "$1" "$((SECONDS - start))"; }

step "scripts/install-deps.sh"
bash ./scripts/install-deps.sh

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace  (PostgreSQL: $LIFEHEALTH_TEST_POSTGRES_URL)"
# Nothing may print after this: the output ends with cargo test's summary lines.
exec cargo test --workspace --no-fail-fast
