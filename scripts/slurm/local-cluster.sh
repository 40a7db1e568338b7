#!/usr/bin/env bash
# A real single-machine Slurm cluster (Debian's slurm-wlm: munged, slurmctld
# and slurmd on this host) for tests and for trying the sbatch templates.
#
#   scripts/slurm/local-cluster.sh install   # apt-get install slurm-wlm munge (root, Debian/Ubuntu)
#   scripts/slurm/local-cluster.sh start     # write the config, start the daemons, wait until the node is idle
#   scripts/slurm/local-cluster.sh status    # sinfo
#   scripts/slurm/local-cluster.sh stop      # stop the daemons this script started
#
# Must run as root (slurmd runs jobs as their user; munged runs as `munge`).
# Only root can submit: munge's socket folder and the state folder are
# root-only, so that programs in codefail's sandbox (private uids) cannot
# reach the cluster (tests/hostile.rs checks that no unix socket answers).
# The configuration is written to $SLURM_CONF_DIR (default /etc/slurm), state
# and logs go under $SLURM_STATE_DIR (default /var/spool/codefail-slurm).
# proctrack/linuxproc and task/none need no cgroups, so this also works in a
# container.
set -euo pipefail

conf_dir=${SLURM_CONF_DIR:-/etc/slurm}
state=${SLURM_STATE_DIR:-/var/spool/codefail-slurm}
node=$(hostname -s)

die() { echo "local-cluster: $*" >&2; exit 1; }

install() {
  [ "$(id -u)" = 0 ] || die "install needs root"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge > /dev/null
}

write_conf() {
  local cpus mem
  cpus=$(nproc)
  # slurmd refuses a node whose RealMemory exceeds what it finds; leave 5%.
  mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.95}' /proc/meminfo)
  mkdir -p "$conf_dir" "$state/ctld" "$state/d" "$state/log"
  chmod 0700 "$state"
  chown -R slurm:slurm "$state/ctld" 2>/dev/null || true
  cat > "$conf_dir/slurm.conf" <<CONF
# Written by codefail scripts/slurm/local-cluster.sh: one node, this host.
ClusterName=codefail-local
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=10
Waittime=0
MaxArraySize=10001
NodeName=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  # slurmd insists on a cgroup.conf in some builds even with task/none.
  [ -f "$conf_dir/cgroup.conf" ] || echo "CgroupPlugin=autodetect" > "$conf_dir/cgroup.conf"
}

start() {
  [ "$(id -u)" = 0 ] || die "start needs root"
  command -v slurmctld > /dev/null || die "slurm-wlm is not installed (run: $0 install)"
  write_conf
  # munge: a key (the package makes one; make one if it did not), then the daemon.
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --force
    chown munge:munge /etc/munge/munge.key
    chmod 600 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  # munged's socket is world-writable by design: in a root-only folder, and
  # made 0600 below, no other uid (codefail's sandboxed programs run as
  # private uids) can get a credential and talk to this cluster. Submit jobs
  # as root.
  chmod 0700 /run/munge
  if ! munge -n > /dev/null 2>&1; then
    # --force: munged wants its socket folder open to all (see above).
    runuser -u munge -- /usr/sbin/munged --force
  fi
  for _ in $(seq 50); do munge -n > /dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge > /dev/null || die "munged does not answer"
  # Connecting needs write permission on the socket, which munged makes 0777:
  # only munge and root may (the sandbox keeps CAP_DAC_READ_SEARCH, which
  # passes the folder's mode but not this).
  chmod 0600 /run/munge/munge.socket.2
  pgrep -x slurmctld > /dev/null || slurmctld -f "$conf_dir/slurm.conf"
  pgrep -x slurmd > /dev/null || slurmd -f "$conf_dir/slurm.conf" -N "$node"
  for _ in $(seq 60); do
    st=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true)
    case "$st" in
      idle|mixed|allocated) echo "local-cluster: node $node is $st"; sinfo; return 0 ;;
    esac
    sleep 1
  done
  tail -n 20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
  die "the node did not become idle within 60 s (state: ${st:-none})"
}

stop() {
  for pidfile in "$state/slurmd.pid" "$state/slurmctld.pid"; do
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
  if [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  status) sinfo ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|status|stop" >&2; exit 2 ;;
esac
