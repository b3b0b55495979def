#!/usr/bin/env bash
# The README's first command: installs what is needed, builds strm, and runs the demo batch
# job (examples/demo) on a local directory with the embedded defaults, then shows the job and
# its outputs side by side. Everything it creates stays under .strm-demo/ of the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/setup.sh
bash scripts/build.sh default strm

demo=$root/.strm-demo
rm -rf "$demo"
mkdir -p "$demo/data"
cp examples/demo/input.csv "$demo/data/"
export STRM_HOME=$demo/home
strm=$root/build/strm

echo
echo "== strm create data-connector local databert-demo $demo/data"
"$strm" create data-connector local databert-demo "$demo/data" -o table
echo
echo "== strm create data-contract databert-handle/batch_job_public/1.0.0"
"$strm" create data-contract databert-handle/batch_job_public/1.0.0 \
  --schema-definition examples/demo/schema.json \
  --contract-definition examples/demo/contract.json -o table
echo
echo "== strm create batch-job -F examples/demo/job.json"
id=$("$strm" create batch-job -F examples/demo/job.json -o plain | cut -f1)
"$strm" list batch-jobs -o table
echo
echo "== strm get batch-job $id --preview"
"$strm" get batch-job "$id" --preview --rows 10
echo
echo "Outputs are in $demo/data/out:"
ls -l "$demo/data/out"
echo
echo "== strm decrypt: the encrypted output re-identified with the keys output"
"$strm" decrypt -F "$demo/data/out/encrypted.csv" --keys "$demo/data/out/keys.csv" \
  --contract databert-handle/batch_job_public/1.0.0 | cut -c1-160
