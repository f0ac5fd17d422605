#!/usr/bin/env bash
# A one-node Slurm on this machine, for trying `nbpipe run --slurm` and for the tests (README: "Running on a cluster").
#
#   scripts/slurm-local.sh start   # prints `export SLURM_CONF=…`: eval "$(scripts/slurm-local.sh start)"
#   scripts/slurm-local.sh stop    # stops the daemons it started, removes its folder
#
# Needs root and Debian's slurm-wlm and munge. Everything lives in one folder ($NBPIPE_SLURM_DIR, default
# /tmp/nbpipe-slurm-$UID) with its own ports ($NBPIPE_SLURM_PORT and the next one, default 16917), so it does not
# touch a system Slurm. `start` is idempotent: when the daemons already answer, it only prints the line again.
# Containers have no cgroup filesystem for Slurm's plugins: processes are tracked from /proc (proctrack/linuxproc).
set -euo pipefail

DIR=${NBPIPE_SLURM_DIR:-${TMPDIR:-/tmp}/nbpipe-slurm-$(id -u)}
PORT=${NBPIPE_SLURM_PORT:-16917}
CONF=$DIR/slurm.conf

fail() {
  echo "slurm-local: $*" >&2
  exit 1
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

idle() { [ "$(SLURM_CONF=$CONF sinfo -h -o %T 2>/dev/null)" = idle ]; }

start() {
  [ "$(id -u)" -eq 0 ] || fail "needs root (slurmd starts jobs as their user)"
  for cmd in slurmctld slurmd sinfo munged; do
    command -v "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || fail "$cmd not found: apt-get install slurm-wlm munge"
  done
  if pid_alive "$DIR/ctld.pid" && pid_alive "$DIR/d.pid" && idle; then
    echo "export SLURM_CONF=$CONF"
    return
  fi
  stop_daemons
  mkdir -p "$DIR"/{state,spool,log}
  local host
  host=$(hostname -s)
  cat >"$CONF" <<EOF
ClusterName=nbpipelocal
SlurmctldHost=$host
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/ctld.pid
SlurmdPidFile=$DIR/d.pid
SlurmctldLogFile=$DIR/log/ctld
SlurmdLogFile=$DIR/log/d
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  # munge authenticates every Slurm call; one munged serves the whole machine, so it is started only when none answers.
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ -f /etc/munge/munge.key ] || mungekey --create
    mkdir -p /run/munge
    chown munge: /run/munge /etc/munge/munge.key
    # --force: start even though Debian's /var/log/munge belongs to another user (it warns; the check below tells).
    /usr/sbin/munged --force --pid-file="$DIR/munged.pid" 2>/dev/null
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || fail "munged does not answer (see /var/log/munge/munged.log)"
  fi
  /usr/sbin/slurmctld -f "$CONF"
  /usr/sbin/slurmd -f "$CONF"
  for _ in $(seq 1 300); do
    if idle; then
      echo "export SLURM_CONF=$CONF"
      return
    fi
    sleep 0.1
  done
  fail "the node did not become idle within 30 s (logs: $DIR/log)"
}

# Stop what this script started (the pid files in $DIR), waiting until each daemon is gone.
stop_daemons() {
  local file pid
  for file in "$DIR/d.pid" "$DIR/ctld.pid" "$DIR/munged.pid"; do
    pid_alive "$file" || continue
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
}

stop() {
  [ -d "$DIR" ] || return 0
  stop_daemons
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
