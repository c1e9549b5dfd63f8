#!/usr/bin/env bash
# Prints the pip option that picks PyTorch's wheels for this machine (nothing = the default).
# Without an NVIDIA GPU on Linux, PyTorch's CPU build spares about 3 GB of CUDA libraries
# (its versions carry +cpu, which pip prefers for the same pin). When that index cannot be
# reached (offline mirror, firewall), the default wheels are used, as before.
python="${PYTHON:-python3}"
CPU_INDEX="${MODULO4_TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
[ "$(uname -s)" = Linux ] || exit 0
command -v nvidia-smi >/dev/null 2>&1 && exit 0
if "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" "$CPU_INDEX/torch/" 2>/dev/null; then
  echo "Sem GPU NVIDIA: instalando o PyTorch só para CPU ($CPU_INDEX)." >&2
  echo "--extra-index-url $CPU_INDEX"
else
  echo "Sem GPU NVIDIA, mas $CPU_INDEX não respondeu: instalando o PyTorch padrão." >&2
fi
