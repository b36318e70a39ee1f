#!/usr/bin/env bash
# Side-by-side comparison of two kubeforge builds: the one checked out and one at BASE (a git
# ref), run interleaved (A, B, A, B, ...) so that the machine's load hits both alike. Prints
# the median wall time of each command for each build and their ratio.
#
#   bench/compare.sh BASE [WORKERS...]        # default workers: 1000 5000
#
# Environment: BENCH_RUNS (default 7), BENCH_TMPFS (default /dev/shm).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bench/compare.sh BASE [WORKERS...]}
shift
sizes=${*:-"1000 5000"}
runs=${BENCH_RUNS:-7}
tmp=$(mktemp -d "${BENCH_TMPFS:-/dev/shm}/kubeforge-compare.XXXXXX")
trap 'rm -rf "$tmp"; git worktree remove --force "$tmp/base-src" 2>/dev/null || true' EXIT

git worktree add -q --detach "$tmp/base-src" "$base"
(cd "$tmp/base-src" && go build -o "$tmp/A" ./cmd/kubeforge)
go build -o "$tmp/B" ./cmd/kubeforge
go run ./bench/gen -o "$tmp/gen-probe.yaml" -workers 1 >/dev/null

# seconds runs a command and prints its wall time.
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-34s %10s %10s %8s\n' "command (3+N hosts)" "base (s)" "head (s)" "head/base"
for n in $sizes; do
	desc=$tmp/c$n.yaml
	go run ./bench/gen -o "$desc" -workers "$n"
	declare -A samples=()
	for cmd in validate compile-no-pki compile-fresh recompile; do
		for ((i = 0; i < runs; i++)); do
			for who in A B; do
				out=$tmp/out-$who
				case $cmd in
				validate) s=$(seconds "$tmp/$who" validate "$desc") ;;
				compile-no-pki) rm -rf "$out" "$out.pki"; s=$(seconds "$tmp/$who" compile --no-pki -o "$out" "$desc") ;;
				compile-fresh) rm -rf "$out" "$out.pki"; s=$(seconds "$tmp/$who" compile -o "$out" "$desc") ;;
				recompile)
					[[ -d $out.pki ]] || "$tmp/$who" compile -o "$out" "$desc" >/dev/null 2>&1
					s=$(seconds "$tmp/$who" compile -o "$out" "$desc") ;;
				esac
				samples[$who]+="$s "
			done
		done
		a=$(tr ' ' '\n' <<<"${samples[A]}" | grep . | median)
		b=$(tr ' ' '\n' <<<"${samples[B]}" | grep . | median)
		printf '%-34s %10.3f %10.3f %8.3f\n' "$cmd 3+$n" "$a" "$b" "$(echo "$b / $a" | bc -l)"
		samples=()
	done
done
