# Sourced by bench/compare.sh and bench/phoenixkit.sh: rounds of a baseline and of bench_use side by side.
# The sourcing script sets clients, seconds, rounds and dir, and defines `use_bin ARGS...` (bench_use on its
# database) and `baseline MODE` (runs the baseline once and prints its rate).

log() { printf '== %s\n' "$*" >&2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# ours MODE BASELINE_TPS: runs bench_use and prints its redemptions_per_sec. It makes fresh users for up to 4x the
# baseline's rate (and 5,000 more per client); should it run out, it fails and says so.
ours() {
    local per_client
    per_client=$(awk -v b="$2" -v t="$seconds" -v k="$clients" 'BEGIN { printf "%d", 4 * b * (t + 1) / k + 5000 }')
    use_bin --clients "$clients" --seconds "$seconds" --mode "$1" --users-per-client "$per_client" >"$dir/ours.out"
    cat "$dir/ours.out" >&2
    sed -n 's/^redemptions_per_sec=//p' "$dir/ours.out" | tail -1
}

# run_rounds LABEL MODE...: for each mode, `rounds` rounds of the baseline then ours, a line per round, and a
# summary line per mode appended to the array `summary`.
run_rounds() {
    local label=$1 mode r b o base_sum ours_sum
    shift
    for mode in "$@"; do
        base_sum=0 ours_sum=0
        for ((r = 1; r <= rounds; r++)); do
            log "$label $mode round $r/$rounds: baseline"
            b=$(baseline "$mode")
            log "$label $mode round $r/$rounds: ours (bench_use, $clients clients, ${seconds}s)"
            o=$(ours "$mode" "$b")
            echo "round $r $mode: baseline=$b ours=$o ratio=$(ratio "$o" "$b")"
            base_sum=$(awk -v a="$base_sum" -v b="$b" 'BEGIN { print a + b }')
            ours_sum=$(awk -v a="$ours_sum" -v b="$o" 'BEGIN { print a + b }')
        done
        summary+=("$label $mode clients=$clients seconds=$seconds rounds=$rounds: baseline=$(ratio "$base_sum" "$rounds")/s ours=$(ratio "$ours_sum" "$rounds")/s ratio=$(ratio "$ours_sum" "$base_sum")")
    done
}
