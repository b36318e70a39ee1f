#!/usr/bin/env bash
# `make bench`: how long kubeforge takes to produce a cluster's files, and how that grows, side
# by side with what a kubeadm user runs for the same cluster. Writes bench/results/report.md
# (tables) and bench/results/chart.png (time and peak memory against host count).
#
# Measured for clusters of 3 control-plane hosts and 10, 100, 1,000 and 5,000 workers
# (bench/gen writes them), each command run BENCH_RUNS times (median reported), the output on
# tmpfs so that the numbers are kubeforge's rather than the disk's, then again on the repository's
# disk for compile (fresh, unchanged, one worker changed, --host) beside `tar -x` of the same tree:
#   - kubeforge validate; compile --no-pki; compile with a fresh PKI store (ECDSA-P256 and
#     RSA-2048); re-compile with the existing store; --host compile of one worker;
#   - kubeadm v1.37.1's offline phases for every host (bench/kubeadm-loop.sh says exactly what),
#     run interleaved with kubeforge's fresh compile of the same cluster with the same key
#     algorithm (A/B), fully up to BENCH_KUBEADM_MAX workers and extrapolated linearly from the
#     per-host costs measured there above it;
#   - the Go benchmarks of render/ and CPU profiles of the largest compile.
#
# Environment:
#   BENCH_QUICK=1        smoke test: 2 runs, 3+10 and 3+100 only, no disk pass (about a minute)
#   BENCH_RUNS=N         runs per measurement (default 5; quick 2)
#   BENCH_SIZES="10 100" worker counts (default "10 100 1000 5000")
#   BENCH_RSA_MAX=N      largest worker count compiled with RSA-2048 (default 1000): RSA keys cost
#                        ~40 ms of CPU each, 3+5,000 hosts about 3.5 minutes a run; above it the
#                        RSA time is extrapolated from the two largest measured sizes
#   BENCH_KUBEADM_MAX=N  largest worker count the kubeadm loop runs fully (default 100)
#   BENCH_DISK=0         skip the pass with the output on disk
#   BENCH_TMPFS=DIR      tmpfs directory for outputs (default /dev/shm)
#   BENCH_TIMEOUT=S      limit for one command (default 900 s)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	runs=${BENCH_RUNS:-2}
	sizes=${BENCH_SIZES:-"10 100"}
	disk=${BENCH_DISK:-0}
	benchtime=1x
else
	runs=${BENCH_RUNS:-5}
	sizes=${BENCH_SIZES:-"10 100 1000 5000"}
	disk=${BENCH_DISK:-1}
	benchtime=3x
fi
rsa_max=${BENCH_RSA_MAX:-1000}
kubeadm_max=${BENCH_KUBEADM_MAX:-100}
timeout_s=${BENCH_TIMEOUT:-900}
results=$repo/bench/results
largest=$(tr ' ' '\n' <<<"$sizes" | sort -n | tail -n 1)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# need installs a Debian package when its command is missing (idempotent).
need() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null 2>&1 && return
	log "installing $pkg"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "$pkg" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$pkg" >/dev/null; }
}
[[ -x /usr/bin/time ]] || need /usr/bin/time time
need gnuplot gnuplot-nox
need timeout coreutils

# Work directories: outputs on tmpfs, and on the repository's disk for the disk pass.
tmpfs_parent=${BENCH_TMPFS:-/dev/shm}
[[ -d $tmpfs_parent && -w $tmpfs_parent ]] || tmpfs_parent=${TMPDIR:-/tmp}
mkdir -p "$results"
tmp=$(mktemp -d "$tmpfs_parent/kubeforge-bench.XXXXXX")
disktmp=$(mktemp -d "$results/.work.XXXXXX")
# The 1-minute load average every 10 s, to tell a quiet run from one that shared the cores.
(while sleep 10; do echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg)"; done) >"$results/load.txt" &
sampler=$!
cleanup() {
	kill "$sampler" 2>/dev/null || true
	rm -rf "$tmp" "$disktmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

raw=$results/raw.tsv
printf 'fs\ttool\top\tkey\tworkers\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\n' >"$raw"

# measure FS TOOL OP KEY WORKERS RUN -- CMD...: runs CMD under GNU time (-v: CPU times and peak
# RSS) with a wall clock around it, bounded by timeout, and appends a record to raw.tsv.
measure() {
	local fs=$1 tool=$2 op=$3 key=$4 workers=$5 run=$6
	shift 7
	local tv=$tmp/time.txt out=$tmp/cmd.log start end
	start=$(date +%s%N)
	if ! timeout "$timeout_s" /usr/bin/time -v -o "$tv" "$@" >"$out" 2>&1; then
		log "FAILED ($fs $tool $op $key 3+$workers run $run): $*"
		tail -n 30 "$out" >&2
		exit 1
	fi
	end=$(date +%s%N)
	awk -v fs="$fs" -v tool="$tool" -v op="$op" -v key="$key" -v w="$workers" -v run="$run" \
		-v wall="$(((end - start) / 1000))" '
		/User time \(seconds\)/ { user = $NF }
		/System time \(seconds\)/ { sys = $NF }
		/Maximum resident set size/ { rss = $NF }
		END { printf "%s\t%s\t%s\t%s\t%s\t%s\t%.4f\t%s\t%s\t%s\n", fs, tool, op, key, w, run, wall / 1e6, user, sys, rss }
	' "$tv" >>"$raw"
}

# --- build ---------------------------------------------------------------------------------
log "building kubeforge and the bench tools"
bin=$tmp/bin
mkdir -p "$bin"
go build -o "$bin/kubeforge" ./cmd/kubeforge
go build -o "$bin/gen" ./bench/gen
go build -o "$bin/profile" ./bench/profile
go build -o "$bin/report" ./bench/report
kf=$bin/kubeforge
log "kubeadm: e2e/tools/build-binaries.sh (cached after the first build)"
kubeadm=$(e2e/tools/build-binaries.sh)/kubeadm
[[ -x $kubeadm ]] || { log "no kubeadm at $kubeadm"; exit 1; }

# --- the clusters ----------------------------------------------------------------------------
gen=$tmp/gen
mkdir -p "$gen"
kroots=$tmp/kubeadm-roots # where the kubeadm loop writes; its configs point here
for n in $sizes; do
	for key in ECDSA-P256 RSA-2048; do
		args=(-workers "$n" -key "$key" -o "$gen/$n-$key.yaml")
		if ((n <= kubeadm_max)); then
			args+=(-hosts "$gen/$n.hosts" -kubeadm-dir "$gen/kubeadm-$n-$key" -kubeadm-ca-dir "$kroots/cp1/etc/kubernetes/pki")
		fi
		"$bin/gen" "${args[@]}"
	done
done

# --- meta ------------------------------------------------------------------------------------
meta=$results/meta.env
{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cpus=$(nproc)"
	echo "cpu_model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
	echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel=$(uname -r)"
	echo "go=$(go env GOVERSION)"
	echo "commit=$(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "kubeadm=$("$kubeadm" version -o short)"
	echo "runs=$runs"
	echo "sizes=$sizes"
	echo "rsa_max=$rsa_max"
	echo "kubeadm_max=$kubeadm_max"
	echo "quick=${BENCH_QUICK:-0}"
	echo "tmpfs=$tmp ($(df -T "$tmp" | awk 'NR == 2 {print $2}'))"
	echo "disk=$disktmp ($(df -T "$disktmp" | awk 'NR == 2 {print $2 " on " $1}'))"
	echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$meta"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# Warm the page cache with both programs so the first measured run is not a cold start.
"$kf" validate "$gen/$largest-ECDSA-P256.yaml" >/dev/null
"$kubeadm" version >/dev/null

# kubeadm_loop N KEY RUN: the kubeadm loop for 3+N hosts, control-plane part then workers.
kubeadm_loop() {
	local n=$1 key=$2 run=$3 cfg=$gen/kubeadm-$1-$2
	rm -rf "$kroots"
	measure tmpfs kubeadm loop-control-plane "$key" "$n" "$run" -- bench/kubeadm-loop.sh "$kubeadm" "$gen/$n.hosts" "$cfg" "$kroots" control-plane
	measure tmpfs kubeadm loop-worker "$key" "$n" "$run" -- bench/kubeadm-loop.sh "$kubeadm" "$gen/$n.hosts" "$cfg" "$kroots" worker
	if ((run == 1)); then
		echo "kubeadm_files_${n}_$key=$(find "$kroots" -type f ! -name kubeadm.yaml ! -name kubeadm.log | wc -l)" >>"$meta"
	fi
	rm -rf "$kroots"
}

# tmpfs_compiles N: fresh compiles of 3+N hosts with each key algorithm, each run followed by
# the kubeadm loop for the same cluster and key (A/B), then re-compiles and --host compiles.
tmpfs_compiles() {
	local n=$1 key out r ab
	for key in ECDSA-P256 RSA-2048; do
		if [[ $key == RSA-2048 ]] && ((n > rsa_max)); then
			continue
		fi
		out=$tmp/out-$n-$key
		ab=""
		if ((n <= kubeadm_max)); then ab=", interleaved with the kubeadm loop"; fi
		log "tmpfs: compile 3+$n $key with a fresh store$ab"
		for r in $(seq "$runs"); do
			rm -rf "$out" "$out.pki"
			measure tmpfs kubeforge compile-fresh "$key" "$n" "$r" -- "$kf" compile -o "$out" "$gen/$n-$key.yaml"
			if ((n <= kubeadm_max)); then
				kubeadm_loop "$n" "$key" "$r"
			fi
		done
		if [[ $key == ECDSA-P256 ]]; then
			echo "kubeforge_files_$n=$(find "$out" -type f ! -name '*.manifest.json' ! -name .kubeforge-output | wc -l)" >>"$meta"
			log "tmpfs: re-compile 3+$n with the existing store, and --host"
			for r in $(seq "$runs"); do
				measure tmpfs kubeforge compile-existing "$key" "$n" "$r" -- "$kf" compile -o "$out" "$gen/$n-$key.yaml"
			done
			for r in $(seq "$runs"); do
				measure tmpfs kubeforge compile-host "$key" "$n" "$r" -- "$kf" compile -o "$out" --host "$(worker_of "$n")" "$gen/$n-$key.yaml"
			done
		fi
		rm -rf "$out" "$out.pki"
	done
}

# worker_of N: the worker the --host compiles of 3+N hosts name (one in the middle).
worker_of() { printf 'worker-%05d' $(($1 / 2)); }

# --- whole-process measurements ---------------------------------------------------------------
for n in $sizes; do
	log "tmpfs: validate and compile --no-pki, 3+$n"
	for r in $(seq "$runs"); do
		measure tmpfs kubeforge validate - "$n" "$r" -- "$kf" validate "$gen/$n-ECDSA-P256.yaml"
	done
	for r in $(seq "$runs"); do
		rm -rf "$tmp/nopki"
		measure tmpfs kubeforge compile-nopki - "$n" "$r" -- "$kf" compile --no-pki -o "$tmp/nopki" "$gen/$n-ECDSA-P256.yaml"
	done
	rm -rf "$tmp/nopki"
	tmpfs_compiles "$n"
done
# changed_description N: the 3+N description with one worker's address changed (the worker the
# --host compiles name), written beside it.
changed_description() {
	local n=$1 worker
	worker=$(worker_of "$n")
	awk -v w="  - name: $worker" '$0 == w { found = 1 } found && /addresses:/ { sub(/\[[^]]*\]/, "[10.1.250.250]"); found = 0 } 1' \
		"$gen/$n-ECDSA-P256.yaml" >"$gen/$n-ECDSA-P256-changed.yaml"
	if cmp -s "$gen/$n-ECDSA-P256.yaml" "$gen/$n-ECDSA-P256-changed.yaml"; then
		log "could not change $worker's address in $gen/$n-ECDSA-P256.yaml"
		exit 1
	fi
}

# Disk pass: fresh compiles; re-compiles of the unchanged description (which write nothing);
# re-compiles after one worker's address changed (alternately to the changed description and
# back, so that each run changes one host); --host compiles; and, for the ratio, `tar -x` of the
# same tree into the same directory followed by a sync of its file system (kubeforge's output
# is on disk when the command returns).
if [[ $disk == 1 ]]; then
	for n in $sizes; do
		log "disk: compile 3+$n"
		changed_description "$n"
		for r in $(seq "$runs"); do
			rm -rf "$disktmp/out" "$disktmp/out.pki"
			measure disk kubeforge compile-fresh ECDSA-P256 "$n" "$r" -- "$kf" compile -o "$disktmp/out" "$gen/$n-ECDSA-P256.yaml"
		done
		for r in $(seq "$runs"); do
			measure disk kubeforge compile-existing ECDSA-P256 "$n" "$r" -- "$kf" compile -o "$disktmp/out" "$gen/$n-ECDSA-P256.yaml"
		done
		for r in $(seq "$runs"); do
			desc=$gen/$n-ECDSA-P256-changed.yaml
			((r % 2 == 0)) && desc=$gen/$n-ECDSA-P256.yaml
			measure disk kubeforge compile-changed ECDSA-P256 "$n" "$r" -- "$kf" compile -o "$disktmp/out" "$desc"
		done
		"$kf" compile -o "$disktmp/out" "$gen/$n-ECDSA-P256.yaml" >/dev/null
		for r in $(seq "$runs"); do
			measure disk kubeforge compile-host ECDSA-P256 "$n" "$r" -- "$kf" compile -o "$disktmp/out" --host "$(worker_of "$n")" "$gen/$n-ECDSA-P256.yaml"
		done
		tar -cf "$tmp/out.tar" -C "$disktmp" out
		rm -rf "$disktmp/out" "$disktmp/out.pki"
		for r in $(seq "$runs"); do
			rm -rf "$disktmp/tar"
			mkdir "$disktmp/tar"
			sync -f "$disktmp"
			measure disk tar extract - "$n" "$r" -- sh -c 'tar -xf "$1" -C "$2" && sync -f "$2"' sh "$tmp/out.tar" "$disktmp/tar"
		done
		rm -rf "$disktmp/tar" "$tmp/out.tar"
	done
fi

# --- where the time goes: phases and CPU profiles of the largest cluster ----------------------
log "profiles of 3+$largest"
prof=$tmp/prof
rm -rf "$prof" "$prof.pki"
for what in fresh existing host; do
	args=(-o "$prof" -cpuprofile "$results/cpu-$what.prof")
	[[ $what == host ]] && args+=(-host "$(worker_of "$largest")")
	{
		echo "# 3+$largest hosts, ECDSA-P256, $what: seconds per step"
		timeout "$timeout_s" "$bin/profile" "${args[@]}" "$gen/$largest-ECDSA-P256.yaml"
		echo
		echo "# go tool pprof -top -cum, kubeforge's functions and the system calls"
		# awk, not grep | head: an early-closed pipe would fail the pipeline.
		go tool pprof -top -cum -nodecount=400 "$bin/profile" "$results/cpu-$what.prof" 2>/dev/null |
			awk '/^ *(Duration|flat)|kubeforge\.dev|syscall\.(Open|Mkdir|Unlinkat|Fsync|Write)|crypto\/x509\.CreateCertificate|sigs\.k8s\.io\/yaml\.(Marshal|JSONToYAML)|os\.RemoveAll/ && n++ < 45' 
	} >"$results/profile-$what.txt"
done
rm -rf "$prof" "$prof.pki"

# --- Go benchmarks -------------------------------------------------------------------------
log "Go benchmarks (render/, -benchtime $benchtime)"
pattern=.
[[ ${BENCH_QUICK:-0} == 1 ]] && pattern='/hosts=3\+100$' # sub-benchmarks are named by size first
mkdir -p "$tmp/gotmp"
TMPDIR=$tmp/gotmp timeout "$timeout_s" go test -run '^$' -bench "$pattern" -benchtime "$benchtime" -benchmem \
	-cpuprofile "$results/cpu-gobench.prof" -o "$results/render.test" ./render/ >"$results/gobench.txt"
go tool pprof -top -nodecount=40 "$results/render.test" "$results/cpu-gobench.prof" >"$results/gobench-pprof-top.txt" 2>/dev/null

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta"
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- report ----------------------------------------------------------------------------------
"$bin/report" -results "$results"
gnuplot "$results/chart.gp"
log "wrote $results/report.md and $results/chart.png"
