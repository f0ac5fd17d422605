# Gather the raw data: every CSV under data/, one header.
set -eu
first=1
for f in data/*.csv; do
  if [ "$first" = 1 ]; then cat "$f"; first=0; else tail -n +2 "$f"; fi
done > {{product}}
echo "collected $(($(wc -l < {{product}}) - 1)) rows"
