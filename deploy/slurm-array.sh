#!/usr/bin/env bash
# cxr-explain on Slurm: plan once, process in an array of shards, then merge the report.
#   deploy/slurm-array.sh submit /archive /results 4     plans, submits the array (0-3) and the report after it
# Each array task runs `process --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`; a task that exits 75
# (EX_TEMPFAIL: results unwritable, disk full, PACS unreachable) requeues itself and redoes only what it had
# not finished; exit 1 means some inputs are bad (the rest is done and recorded) and is not retried.
# CXR_EXPLAIN names the binary (default: cxr-explain on PATH); CXR_EXPLAIN_ARGS adds process options
# (default: --methods gradcam).
#SBATCH --job-name=cxr-explain
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --requeue
set -uo pipefail
bin=${CXR_EXPLAIN:-cxr-explain}

if [ "${1:-}" = "submit" ]; then
  input=$2; out=$3; shards=${4:-4}
  "$bin" plan "$input" --out "$out" || exit $?
  array=$(sbatch --parsable --array=0-$((shards - 1)) --export=ALL,INPUT="$input",OUT="$out" "$0") || exit 1
  sbatch --dependency=afterany:"$array" --job-name=cxr-explain-report --wrap "$bin report '$out'"
  exit $?
fi

: "${INPUT:?INPUT (the archive folder) must be set}" "${OUT:?OUT (the results folder) must be set}"
: "${SLURM_ARRAY_TASK_ID:?run as an array task (sbatch --array) or with SLURM_ARRAY_TASK_ID set}"
count=${SLURM_ARRAY_TASK_COUNT:-4}
# shellcheck disable=SC2086
"$bin" process "$INPUT" --out "$OUT" ${CXR_EXPLAIN_ARGS:---methods gradcam} --shard "$SLURM_ARRAY_TASK_ID/$count"
status=$?
if [ "$status" -eq 75 ] && [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
  scontrol requeue "${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
fi
exit "$status"
