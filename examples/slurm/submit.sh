#!/bin/bash
# Queues the 8-part build as a Slurm array and the merge to run only if every array task succeeded.
# Usage: BUCKET=my-bucket INPUT=/shared/data/train ./submit.sh   (AWS_* credentials/endpoint in the environment)
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p logs
array=$(sbatch --parsable --export=ALL build-parts.sbatch)
sbatch --dependency="afterok:${array}" --export=ALL merge.sbatch
