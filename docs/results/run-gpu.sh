#!/usr/bin/env bash
# The runs of issue 4 item 6 that this project's 2-CPU machine cannot do in a session (see
# README.md here), for a machine with a CUDA GPU. Every command resumes from the store and each
# run from its training checkpoint, so a command cut short by the time limit continues where it
# stopped when the script is run again.
#   MSAE_DATA=/path/to/data bash docs/results/run-gpu.sh [OUT] [SECONDS PER COMMAND]
set -euo pipefail
out="${1:-docs/results}"
limit="${2:-3000}"
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device')"
# CUDA has never run in this project's CI: check the device tests pass (not skip) first.
tests=$(python -m pytest -q -rs tests/test_devices.py) || { echo "$tests"; exit 1; }
echo "$tests"
if grep -q skipped <<<"$tests"; then echo "CUDA tests skipped: not running on this machine" >&2; exit 1; fi
run() {
  echo "+ $*"
  local start=$SECONDS
  timeout "$limit" "$@" || echo "  stopped or failed: run the script again to resume"
  echo "  wall $((SECONDS - start)) s"
}
common=(--device cuda --workers 4 --threads 2 --out "$out")
run msae reproduce table3 --datasets mnist,fashion-mnist --repeats 3 "${common[@]}"
run msae reproduce sparsity --datasets fashion-mnist --repeats 1 "${common[@]}"
run msae reproduce sensitivity --datasets isolet,usps,mnist --repeats 1 "${common[@]}"
msae report --out "$out"
