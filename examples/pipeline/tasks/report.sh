# Write a short markdown report from the summary.
set -eu
{
  echo "# Sales report"
  echo
  echo "Totals by region ($(basename {{upstream['summarize']['data']}})):"
  echo
  echo '```json'
  cat {{upstream['summarize']['data']}}
  echo
  echo '```'
} > {{product}}
