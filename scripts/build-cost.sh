#!/usr/bin/env bash
# Build cost of a tiny binary that reads one Jira security level, with appsec-sdk and with the
# other Rust Jira clients a user would pick instead. Every build starts from an empty target
# directory; crate sources are fetched first and not timed. Prints a Markdown table of wall
# seconds, CPU seconds (user + sys of cargo, rustc, build scripts and C compilers), binary size,
# and whether the aws-lc C library was compiled.
#
#   scripts/build-cost.sh                         # all binaries, debug and release
#   scripts/build-cost.sh --profiles debug        # one profile
#   scripts/build-cost.sh --only sdk-jira,gouqi   # some binaries
#
# The binaries' sources are in crates/bench/build-cost/<name>/, each its own workspace. The
# appsec-sdk ones start from the project's Cargo.lock, so they build the versions the project
# tests; the others resolve their own. Builds run under `nice -n 19`: compare CPU seconds, which
# hold on a loaded machine; wall seconds do not.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cost_dir="$root/crates/bench/build-cost"
names="sdk-jira,sdk-all,jira,gouqi"
profiles="debug,release"

while [ $# -gt 0 ]; do
    case "$1" in
        --only) names="$2"; shift 2 ;;
        --profiles) profiles="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument $1; try --help" >&2; exit 2 ;;
    esac
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Fetching is not part of the build cost.
for name in ${names//,/ }; do
    manifest="$cost_dir/$name/Cargo.toml"
    [ -f "$manifest" ] || { echo "no binary $name in $cost_dir" >&2; exit 2; }
    case "$name" in sdk-*) cp "$root/Cargo.lock" "$cost_dir/$name/Cargo.lock" ;; esac
    cargo fetch --quiet --manifest-path "$manifest"
done

# Each row is printed as soon as its build ends (a full run takes a long time).
echo "| binary | profile | wall s | CPU s (user+sys) | binary MiB | crates | aws-lc compiled | starts |"
echo "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
for profile in ${profiles//,/ }; do
    case "$profile" in
        debug) flag=() ;;
        release) flag=(--release) ;;
        *) echo "unknown profile $profile" >&2; exit 2 ;;
    esac
    for name in ${names//,/ }; do
        manifest="$cost_dir/$name/Cargo.toml"
        target="$scratch/target-$name-$profile"
        echo "building $name ($profile)..." >&2
        /usr/bin/time -f '%e %U %S' -o "$scratch/time" \
            nice -n 19 cargo build --quiet --manifest-path "$manifest" --target-dir "$target" "${flag[@]}"
        read -r wall user sys < "$scratch/time"
        binary="$target/$profile/cost-$name"
        size=$(stat -c %s "$binary")
        crates=$(find "$target/$profile/.fingerprint" -mindepth 1 -maxdepth 1 -type d | sed 's/-[0-9a-f]*$//' | sort -u | wc -l)
        if compgen -G "$target/$profile/build/aws-lc-sys-*" > /dev/null; then aws_lc=yes; else aws_lc=no; fi
        # The binary must start and build its client: a missing TLS provider panics (exit 101);
        # a refused connection to the discard port is the expected error (exit 1).
        set +e
        "$binary" http://127.0.0.1:9 http://127.0.0.1:9 > /dev/null 2>&1
        code=$?
        set -e
        if [ "$code" -eq 1 ]; then runs="yes"; else runs="**no** (exit $code)"; fi
        cpu=$(echo "$user + $sys" | bc)
        echo "| $name | $profile | $wall | $cpu | $(echo "scale=1; $size / 1048576" | bc) | $crates | $aws_lc | $runs |"
        rm -rf "$target"
    done
done
