#!/usr/bin/env bash
# Multi-node training through torchrun: start this same line on every node (logs/ on a shared filesystem).
#
#   NNODES=2 NPROC=8 RDZV=node1:29500 JOB=exp1 scripts/torchrun_train.sh experiment=finetune_minilm
#
# NNODES        nodes in the job (default 1)
# NPROC         processes per node, one per GPU (default: this node's GPU count, or 1 process on a CPU machine)
# RDZV          host:port of the c10d rendezvous, the same on every node (default 127.0.0.1:29500)
# JOB           the job's name: rendezvous id and run dir logs/train/runs/torchrun-$JOB, shared by all ranks and
#               restarts (default emotion)
# MAX_RESTARTS  restarts of the whole job after a lost rank, each resuming from the run dir's newest intact
#               checkpoint (default 0)
# PYTHON        the interpreter (default .venv/bin/python)
# Arguments are Hydra overrides for emotion.train. data.batch_size stays the global batch (split over all ranks).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
GPUS=$("$PYTHON" -c 'import torch; print(torch.cuda.device_count())')
NNODES=${NNODES:-1}
NPROC=${NPROC:-$(( GPUS > 0 ? GPUS : 1 ))}
# Each restart's workers get a fresh c10d store (on rank 0). The store torchrun shares by default outlives restarts,
# and a restarted rank can read the gloo address a dead peer left there (torch 2.13: "connectFullMesh failed").
export TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1
CPU=()
if [ "$GPUS" = 0 ]; then CPU=(trainer.accelerator=cpu); fi
exec "$PYTHON" -m torch.distributed.run --nnodes "$NNODES" --nproc-per-node "$NPROC" \
  --rdzv-backend c10d --rdzv-endpoint "${RDZV:-127.0.0.1:29500}" --rdzv-id "${JOB:-emotion}" \
  --max-restarts "${MAX_RESTARTS:-0}" \
  -m emotion.train trainer=ddp trainer.num_nodes="$NNODES" trainer.devices="$NPROC" "${CPU[@]}" "$@"
