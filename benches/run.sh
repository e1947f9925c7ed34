#!/usr/bin/env bash
# Reproduces every number of BENCHMARKS.md. Run from anywhere; takes about 5 minutes on 2 cores
# (plus the builds). Needs hyperfine and GNU time: `apt-get install -y hyperfine time`.
# Results go to stdout and to target/bench-results/.
#
# Usage: benches/run.sh [all|machine|answer|build|batch|rss|startup|bigtable|instructions|tests]   (default: all)
# `instructions` (valgrind's callgrind: instruction counts, repeatable on a busy machine) is not part
# of `all`; it needs `apt-get install -y valgrind`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-results
mkdir -p "$out"
what="${1:-all}"
questions="$out/questions-10k.txt"
bin=target/release/productbot

machine() {
    echo "== machine =="
    echo "nproc: $(nproc)"
    grep -m1 'model name' /proc/cpuinfo
    free -m | awk '/^Mem:/ {print "memory: " $2 " MiB"}'
    rustc -V
    cargo -V
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src has uncommitted changes)')"
    uptime
}

build_release() {
    cargo build --release --quiet
}

# 10,000 questions: the dev questions repeated in order.
make_questions() {
    python3 - "$questions" <<'EOF'
import json, sys
qs = [json.loads(l)["q"] for l in open("tests/data/dev.jsonl") if l.strip()]
open(sys.argv[1], "w").write("\n".join(qs[i % len(qs)] for i in range(10000)) + "\n")
EOF
    wc -l < "$questions"
}

case "$what" in all|machine) machine | tee "$out/machine.txt" ;; esac

case "$what" in all|answer)
    # Full path vs bare tantivy (median/p99 printed before criterion's output), cost estimates/s,
    # Store::open on an existing index.
    cargo bench --bench answer -- --warm-up-time 1 --measurement-time 3 | tee "$out/answer.txt"
;; esac

case "$what" in all|build)
    # Index build MB/s: shipped corpus, generated 100 MB corpus, 1 and 2 threads, ours vs plain tantivy.
    BUILD_MB=100 BUILD_ITERS=3 cargo bench --bench build | tee "$out/build.txt"
;; esac

case "$what" in all|batch|rss|startup|instructions) build_release; make_questions >/dev/null ;; esac

case "$what" in all|batch)
    # 10,000 questions through the batch CLI as a whole process (start-up and index open included).
    # The first run may build the index in index/ if the corpus changed; --warmup covers that.
    hyperfine --warmup 2 --runs 10 --export-json "$out/batch.json" --output pipe \
        "$bin ask --json - < $questions" | tee "$out/batch.txt"
;; esac

case "$what" in all|rss)
    # Peak RSS while answering the 10,000 questions (GNU time's "Maximum resident set size", KiB).
    /usr/bin/time -v "$bin" ask --json - < "$questions" 2> "$out/rss.txt" > /dev/null
    grep -E 'Maximum resident set size|Elapsed \(wall clock\)' "$out/rss.txt"
    # And serving one question (start-up, index open, one answer, exit).
    /usr/bin/time -v "$bin" ask "Does the API have memory?" 2> "$out/rss-one.txt" > /dev/null
    grep -E 'Maximum resident set size' "$out/rss-one.txt"
;; esac

case "$what" in all|startup)
    # Whole-process start-up to ready with an existing index: an empty batch (open the store, answer
    # nothing, exit) and one question.
    hyperfine --warmup 3 --runs 30 --export-json "$out/startup.json" --output pipe \
        "$bin ask --json - < /dev/null" \
        "$bin ask 'Does the API have memory?'" | tee "$out/startup.txt"
;; esac

case "$what" in instructions)
    # Instructions per answer: 700 dev questions through the batch CLI, minus an empty batch
    # (start-up and index open), divided by 700. Counts, not seconds: other load does not change them.
    head -700 "$questions" > "$out/questions-700.txt"
    ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" ask --json - < "$1" 2>&1 >/dev/null | sed -n 's/.*refs: *//p' | tr -d ,; }
    empty=$(ir /dev/null)
    full=$(ir "$out/questions-700.txt")
    echo "instructions: empty batch $empty, 700 answers $full, per answer $(( (full - empty) / 700 ))" | tee "$out/instructions.txt"
;; esac

case "$what" in all|tests)
    cargo test --test proptest_inputs --test fuzz_regressions 2>&1 | tee "$out/tests.txt" | grep -E '^test result|^running'
;; esac

case "$what" in all|bigtable)
    # Start-up with large feature tables (10k and 40k features over the shipped article): the
    # whole process for one question, index already built. Near-linear in the table's size.
    build_release
    for n in 2000 10000 40000; do
        d="$out/bigtable-$n"
        rm -rf "$d" && mkdir -p "$d/corpus"
        cp corpus/*.md "$d/corpus/"
        cp bot.toml "$d/"
        python3 - "$n" "$d/corpus/features.toml" <<'PY'
import random, string, sys
random.seed(1)
src = open("corpus/features.toml").read()
head = src[:src.index("\n[[feature]]") + 1]
out = [head]
for i in range(int(sys.argv[1])):
    w = "".join(random.choice(string.ascii_lowercase) for _ in range(9))
    out.append(f'[[feature]]\nid = "f{i}"\nname = "Feature {w}"\naliases = ["{w}", "{w} thing", "use {w}x"]\n'
               f'availability = {{ chatgpt = "yes", api = "no" }}\nnote = "n"\ndoc = "openai-api-vs-chatgpt"\n'
               f'section = "Features Only in ChatGPT"\n')
open(sys.argv[2], "w").write("\n".join(out))
PY
        (cd "$d" && "$OLDPWD/$bin" --config bot.toml ask memory >/dev/null 2>&1 || true)
        (cd "$d" && /usr/bin/time -f "features=$n: %e s, %M KB max RSS" "$OLDPWD/$bin" --config bot.toml ask memory >/dev/null) 2>&1 | tail -1 | tee -a "$out/bigtable.txt"
    done
;; esac
