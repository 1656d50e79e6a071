# Sourced by the GPU scripts (gpu_train.sh, gpu_experiments.sh) with $out set: import scn from this checkout
# (PYTHONPATH, no install), read data from gpu_data/ when ../shared is missing, and note in $out/device.txt what
# ran where.
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ ! -d ../shared/datasets ] && [ -z "${SCN_SHARED:-}" ]; then
    [ -d gpu_data/datasets ] || { echo "no ../shared and no gpu_data/: run scripts/pack_gpu_data.sh and carry gpu_data" >&2; exit 2; }
    export SCN_SHARED="$PWD/gpu_data"
fi
mkdir -p "$out"
"$PY" -c "import torch, scn; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '', '| scn from', scn.__file__)" | tee "$out/device.txt"
echo "data: ${SCN_SHARED:-../shared}" | tee -a "$out/device.txt"
