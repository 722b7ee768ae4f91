#!/usr/bin/env bash
# GPU recipe: every model family at once on one GPU, inside one 10-minute command.
#   bash training/gpu/train_all.sh DATA OUT [BUDGET_SECONDS]
# DATA is the folder made by training/gpu/pack_data.py; OUT receives at most 8 files (pack.py).
# Runs concurrently: for each SR scale, reference (bicubic, K=1) and, conditioned and blind,
# joint (K=1) then DL-Net (K=5, from joint); for inpainting and interpolation, reference and
# joint then DL-Net. Each regime chain gets the same training budget. A watchdog stops everything
# at the deadline; checkpoints are written every minute, so a stopped run still packs.
# Continuing: with INIT_DIR (default training/checkpoints) holding the packs of an earlier run, every
# run starts from its earlier weights (reference from reference, joint from joint, and so on).
# SR_VARIANTS="cond blind drrn idn" adds told DRRN (B1U9, 128 channels) and IDN (4 blocks) joint → DL-Net
# chains per scale. SR_REFERENCE=0 leaves out the bicubic-only reference runs (their models are already in
# training/models), so the told chains get more of the card.
# Smoke test on a CPU: SR_ARGS="--depth 3 --width 8 --batch 4" IP_ARGS="--batch 4 --max-faces 50" DEVICE=cpu ...
set -u
DATA=$1
OUT=$2
B=${3:-380}
RUNS=${RUNS:-/tmp/dlnet-runs}
SR_ARGS=${SR_ARGS:-}
IP_ARGS=${IP_ARGS:-}
DEVICE_ARG=${DEVICE:+--device $DEVICE}
HERE=$(cd "$(dirname "$0")/.." && pwd)
INIT_DIR=${INIT_DIR:-$HERE/checkpoints}
# init ARGS for a run: "--init PACK --init-entry NAME" when an earlier pack has that run
sr_init() {
  [ -f "$INIT_DIR/sr_x$1.pt" ] && ${PY:-python3} -c 'import sys, torch; sys.exit(sys.argv[2] not in torch.load(sys.argv[1], map_location="cpu", weights_only=False))' \
    "$INIT_DIR/sr_x$1.pt" "$2" && echo "--init $INIT_DIR/sr_x$1.pt --init-entry $2"
}
# joint runs of inpainting / interpolation start from <task>_joint.pt when one was kept, else <task>.pt
ip_init() { for f in "$INIT_DIR/$1_joint.pt" "$INIT_DIR/$1.pt"; do [ -f "$f" ] && echo "--init $f" && return; done; }
mkdir -p "$RUNS" "$OUT"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
J=$((B * ${JOINT_PERCENT:-70} / 100))
D=$((B - J))
DEADLINE=$(($(date +%s) + B + ${SLACK:-100}))
PY=${PY:-python3}
(nvidia-smi -L || true) 2>&1 | head -2

sr() { $PY "$HERE/train_sr.py" --data "$DATA/T91" "$DATA/BSD400" --val "$DATA/Set5" --threads 1 $DEVICE_ARG $SR_ARGS "$@"; }
ip() { $PY "$HERE/train_inpaint.py" --faces "$DATA/faces" --scenes "$DATA/scenes" "$DATA/BSD400" --threads 1 $DEVICE_ARG $IP_ARGS "$@"; }

SR_VARIANTS=${SR_VARIANTS:-cond blind}
TASKS=${TASKS:-sr inpaint interpolate}
case " $TASKS " in *" sr "*) ;; *) SR_VARIANTS="" ;; esac
for t in ${SR_VARIANTS:+2 3 4}; do
  [ "${SR_REFERENCE:-1}" = 1 ] &&
    sr --scale "$t" --regime reference --amp --budget "$B" --run "$RUNS/sr-x$t-reference" $(sr_init "$t" "sr-x$t-reference") >"$RUNS/sr-x$t-reference.out" 2>&1 &
  for v in $SR_VARIANTS; do
    flag=""
    [ "$v" = blind ] && flag=--blind
    [ "$v" = drrn ] && flag="--backbone drrn-lr"
    [ "$v" = idn ] && flag="--backbone idn-lr"
    (sr --scale "$t" --regime joint $flag --amp --budget "$J" --run "$RUNS/sr-x$t-$v-joint" $(sr_init "$t" "sr-x$t-$v-joint") &&
      sr --scale "$t" --regime dlnet $flag --init "$RUNS/sr-x$t-$v-joint/checkpoint.pt" --budget "$D" --run "$RUNS/sr-x$t-$v-dlnet") >"$RUNS/sr-x$t-$v.out" 2>&1 &
  done
done
for task in $TASKS; do
  [ "$task" = sr ] && continue
  ip --task "$task" --regime reference --budget "$B" --run "$RUNS/$task-reference" >"$RUNS/$task-reference.out" 2>&1 &
  (ip --task "$task" --regime joint --budget "$J" --run "$RUNS/$task-joint" $(ip_init "$task") &&
    ip --task "$task" --regime dlnet --init "$RUNS/$task-joint/checkpoint.pt" --budget "$D" --run "$RUNS/$task-dlnet") >"$RUNS/$task.out" 2>&1 &
done

# Pack into OUT every minute too: if the command is cut short, what was packed still comes back.
NEXT_PACK=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt "$DEADLINE" ] && [ -n "$(jobs -rp)" ]; do
  sleep 5
  if [ "$(date +%s)" -ge "$NEXT_PACK" ]; then
    $PY "$HERE/gpu/pack.py" "$RUNS" "$OUT" >/dev/null 2>&1
    NEXT_PACK=$(($(date +%s) + 60))
  fi
done
echo "training phase over at $(date +%T); still running: $(jobs -rp | wc -l)"
pkill -f train_sr.py
pkill -f train_inpaint.py
wait
for task in $TASKS; do
  [ "$task" = sr ] && continue
  ls "$RUNS"/$task-*/checkpoint.pt >/dev/null 2>&1 &&
    timeout "${EVAL_TIMEOUT:-60}" $PY "$HERE/eval_inpaint.py" --task "$task" --faces "$DATA/faces" $DEVICE_ARG ${EVAL_ARGS:-} \
      --masks "$RUNS/masks_$task.npz" --models "$RUNS"/$task-*/checkpoint.pt --json "$OUT/eval_$task.json" 2>&1 | grep -v '^/' | tail -3
done
$PY "$HERE/gpu/pack.py" "$RUNS" "$OUT"
for f in "$RUNS"/*/log.jsonl; do echo "$(basename "$(dirname "$f")"): $(tail -1 "$f" | cut -c1-300)"; done
ls -la "$OUT"
