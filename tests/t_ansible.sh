#!/usr/bin/env bash
# t_ansible.sh BUILD_DIR - examples/ansible rolls artifacts out for real:
# ansible-playbook over SSH to an sshd this test starts on 127.0.0.1 (its own
# config, host key and authorized key), to three inventory hosts that differ
# by their folder and their service's port. Version 1 deploys to all three,
# a second run changes nothing, version 2 rolls forward, a broken version 3
# (its site lost index.html: the health check gets 404) is rolled back on
# the first batch and never reaches the others. The services run under
# tests/fleet_service.sh through the playbook's restart setting (CI has no
# systemd as PID 1); the unit the playbook writes is checked with
# systemd-analyze verify. Bad inputs (no artifact, a missing one, a wrong
# SHA-256, a corrupt one) stop the play before any host changes.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

PLAYBOOK=$TOP/examples/ansible/deploy.yml
RUNNER=$TOP/tests/fleet_service.sh
S=$T/sshd
SSHD_PID=

cleanup() {
	local h sock
	for h in 1 2 3; do
		[ -d "$T/host$h/srv" ] && bash "$RUNNER" stop "$T/host$h/srv"
	done
	for sock in "$T"/cp/*; do
		[ -S "$sock" ] && ssh -F /dev/null -S "$sock" -O exit 127.0.0.1 2>/dev/null
	done
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

for tool in ansible-playbook /usr/sbin/sshd ssh ssh-keygen systemd-analyze curl; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool is installed (scripts/setup.sh)"
		done_testing
	fi
done

# --- three versions of one site --------------------------------------------
mkdir -p "$T/site1" "$T/site2" "$T/site3"
echo 'fleet v1' >"$T/site1/index.html"
echo 'fleet v2' >"$T/site2/index.html"
echo 'no index here' >"$T/site3/other.html"     # v3: GET / answers 404
for v in 1 2 3; do
	if ! "$FATPACK" build --serve "$T/site$v" --name site --app-version "$v.0" \
		--revision "r$v" -o "$T/site-$v" >"$T/.out" 2>"$T/.err"; then
		not_ok "build site $v.0" "$(cat "$T/.err")"
		done_testing
	fi
done

# --- the sshd ------------------------------------------------------------------
mkdir -p "$S" "$T/ansible"
ssh-keygen -q -t ed25519 -N '' -C fleet-host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C fleet-client -f "$S/id"
cp "$S/id.pub" "$S/authorized_keys"
SSH_PORT=$(free_port)
echo "[127.0.0.1]:$SSH_PORT $(cut -d ' ' -f 1,2 "$S/host_key.pub")" >"$S/known_hosts"
cat >"$S/sshd_config" <<EOF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
# as root, sshd needs its privilege separation folder (the package's service
# creates it at boot; there is no such service here)
[ "$(id -u)" -ne 0 ] || [ -d /run/sshd ] || install -d -m 755 /run/sshd
check "sshd accepts the test's config" /usr/sbin/sshd -t -f "$S/sshd_config"
/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
SSHD_PID=$!
ssh_ok() {
	ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile="$S/known_hosts" \
		-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -i "$S/id" \
		-p "$SSH_PORT" "$(id -un)@127.0.0.1" true 2>"$T/ssh.err"
}
for _ in $(seq 50); do
	ssh_ok && break
	sleep 0.2
done
if ssh_ok; then
	ok "ssh logs in to the test's sshd with the test's key"
else
	not_ok "ssh logs in to the test's sshd" "$(cat "$T/ssh.err" "$S/sshd.log")"
	done_testing
fi

# --- Ansible: its own config, three hosts -------------------------------------
cat >"$T/ansible.cfg" <<EOF
[defaults]
home = $T/ansible
local_tmp = $T/ansible/tmp
remote_tmp = $T/ansible/remote
inventory = $T/inventory.yml
interpreter_python = /usr/bin/python3
retry_files_enabled = false
nocolor = true

[ssh_connection]
pipelining = true
# one connection for every task (cleanup() ends it)
ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=60s
control_path_dir = $T/cp
EOF
export ANSIBLE_CONFIG=$T/ansible.cfg
{
	echo 'app:'
	echo '  hosts:'
	for h in 1 2 3; do
		mkdir -p "$T/host$h/units"
		echo "    host$h:"
		echo "      fatpack_dir: $T/host$h/srv"
		echo "      fatpack_unit_dir: $T/host$h/units"
		echo "      app_port: $(free_port)"
	done
	cat <<EOF
  vars:
    ansible_host: 127.0.0.1
    ansible_port: $SSH_PORT
    ansible_user: $(id -un)
    ansible_ssh_private_key_file: $S/id
    ansible_ssh_common_args: >-
      -o UserKnownHostsFile=$S/known_hosts -o StrictHostKeyChecking=yes
      -o IdentitiesOnly=yes -o BatchMode=yes
    fatpack_keep: 3
    fatpack_systemd: false
    fatpack_restart: "$RUNNER restart {{ fatpack_dir }} --listen 127.0.0.1:{{ app_port }}"
    fatpack_health_url: "http://127.0.0.1:{{ app_port }}/"
    fatpack_health_retries: 5
EOF
} >"$T/inventory.yml"
port_of() {
	sed -n "/^    host$1:/,/app_port/s/^      app_port: //p" "$T/inventory.yml"
}

# play ARTIFACT [ARG...]: the playbook, its output in $T/play.log and on
# stderr (for check_fails).
play() {
	local rc=0 t0=$SECONDS
	ansible-playbook "$PLAYBOOK" -e "fatpack_artifact=$1" "${@:2}" >"$T/play.log" 2>&1 || rc=$?
	echo "# ansible-playbook ${*##*/}: exit $rc after $((SECONDS - t0)) s" >>"$T/plays"
	cat "$T/play.log" >&2
	return "$rc"
}

# recap HOST: "changed=N failed=N rescued=N" from the last play's recap,
# empty when the play never reached HOST.
recap() {
	sed -n "s/^$1 *: .*\(changed=[0-9]*\).*\(failed=[0-9]*\).*\(rescued=[0-9]*\).*/\1 \2 \3/p" \
		"$T/play.log"
}

serves() {
	curl -s --max-time 5 "http://127.0.0.1:$(port_of "$1")/" || true
}

current() {
	readlink "$T/host$1/srv/current"
}

pid_of() {
	cat "$T/host$1/srv/service.pid" 2>/dev/null
}

# staged: the copies the playbook left behind in any host's folder.
staged() {
	local f n=0
	for f in "$T"/host*/srv/.incoming*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

check "ansible-playbook --syntax-check" ansible-playbook --syntax-check "$PLAYBOOK"

# --- version 1 to every host ---------------------------------------------------
check "deploy 1.0 to three hosts" play "$T/site-1"
for h in 1 2 3; do
	check_eq "host$h: current is 1.0" releases/site-1.0-r1 "$(current "$h")"
	check_eq "host$h serves 1.0 on its own port" 'fleet v1' "$(serves "$h")"
done
check_eq "no copy is left on the hosts" 0 "$(staged)"

# the unit the systemd path installs: written by the playbook, accepted by
# systemd (its ExecStart= is the host's current)
unit=$T/host1/units/site.service
check_grep "the playbook wrote the artifact's unit" "^ExecStart=$T/host1/srv/current\$" "$unit"
rc=0
(cd "$T/host1/units" && systemd-analyze verify site.service) >"$T/.out" 2>"$T/.err" || rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$T/.err" ]; then
	ok "systemd-analyze verify accepts the unit the playbook installed"
else
	not_ok "systemd-analyze verify accepts the unit the playbook installed" "$(cat "$T/.err")"
fi

# --- the same version again: nothing changes ----------------------------------
pids="$(pid_of 1) $(pid_of 2) $(pid_of 3)"
check "deploy 1.0 again" play "$T/site-1"
for h in 1 2 3; do
	check_eq "host$h: a second run of 1.0 changes nothing" "changed=0 failed=0 rescued=0" \
		"$(recap "host$h")"
done
check_eq "... and restarts no service" "$pids" "$(pid_of 1) $(pid_of 2) $(pid_of 3)"

# --- version 2 rolls forward ---------------------------------------------------
check "deploy 2.0" play "$T/site-2"
for h in 1 2 3; do
	check_eq "host$h: current is 2.0" releases/site-2.0-r2 "$(current "$h")"
	check_eq "host$h serves 2.0" 'fleet v2' "$(serves "$h")"
done
pids="$(pid_of 1) $(pid_of 2) $(pid_of 3)"

# --- broken version 3: rolled back on the first batch, stops there -------------
check_fails "deploy of a broken 3.0 fails" \
	"fatpack: host1: Check the service's health: .*: status 404; rolled back: .*/current -> releases/site-2\.0-r2" \
	play "$T/site-3"
check_eq "host1 failed and was rescued" "failed=1 rescued=1" "$(recap host1 | cut -d ' ' -f 2-)"
check_eq "host1: current is back on 2.0" releases/site-2.0-r2 "$(current 1)"
check_eq "host1 serves 2.0 again" 'fleet v2' "$(serves 1)"
check_output "host1: --fatpack-releases shows 2.0 current, 3.0 installed" \
	'^\* site-2\.0-r2  2\.0 ' "$T/host1/srv/current" --fatpack-releases "$T/host1/srv"
check_grep "host1: ... 3.0 listed as installed" '^  site-3\.0-r3  3\.0 ' "$T/.out"
for h in 2 3; do
	check_eq "host$h: the play never reached it" "" "$(recap "host$h")"
	check_eq "host$h: still on 2.0" releases/site-2.0-r2 "$(current "$h")"
	check_eq "host$h: 3.0 never copied or installed" \
		"site-1.0-r1 site-2.0-r2 " "$(ls "$T/host$h/srv/releases" | tr '\n' ' ')"
	check_eq "host$h serves 2.0" 'fleet v2' "$(serves "$h")"
done
check_eq "hosts 2 and 3 were not restarted" "$(echo "$pids" | cut -d ' ' -f 2-)" \
	"$(pid_of 2) $(pid_of 3)"
check_eq "no copy is left after the rollback" 0 "$(staged)"

# --- bad inputs: refused before anything changes ------------------------------
check_fails "no artifact given" "fatpack: fatpack_artifact is not set" play ""
check_fails "a missing artifact" "fatpack: $T/nope: not a file" play "$T/nope"
check_fails "a folder as the artifact" "fatpack: $T/site1: not a file" play "$T/site1"
check_fails "an artifact whose SHA-256 is not the one expected" \
	"fatpack: $T/site-2: SHA-256 [0-9a-f]{64}, not the expected 0{64}" \
	play "$T/site-2" -e "fatpack_sha256=$(printf '0%.0s' $(seq 64))"
# one flipped byte in the payload: the host's --fatpack-verify refuses it
cp "$T/site-1" "$T/corrupt"
off=$("$FATPACK" info --json "$T/corrupt" | jq .payload_offset)
printf '\377' | dd of="$T/corrupt" bs=1 seek=$((off + 40)) conv=notrunc status=none
check_fails "a corrupt artifact is refused on the first host" \
	"fatpack: host1: Verify the artifact on the host: .*; nothing was installed" \
	play "$T/corrupt"
check_eq "hosts 2 and 3 were not reached" "" "$(recap host2)$(recap host3)"
for h in 1 2 3; do
	check_eq "host$h: still on 2.0 after the refusals" releases/site-2.0-r2 "$(current "$h")"
done
check_eq "no copy is left after the refusals" 0 "$(staged)"
check_eq "no service was restarted by the refusals" "$(echo "$pids" | cut -d ' ' -f 2-)" \
	"$(pid_of 2) $(pid_of 3)"

cat "$T/plays"
done_testing
