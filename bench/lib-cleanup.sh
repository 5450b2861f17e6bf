# Sourced by bench/run. Removes everything the bench made under $dir, whatever state it is left in:
# containers (through the engines' APIs first, then runc), the processes the bench started (killed by
# pid), mounts, then the directory. Uses: dir, bounded_pid, berthd_pid, dockerd_pid.

bench_stop_pid() { # pid: TERM, wait up to 5 s, then KILL
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

bench_remove_api_containers() { # socket path
	local sock=$1 id
	[ -S "$sock" ] || return 0
	for id in $(curl -s --max-time 5 --unix-socket "$sock" 'http://engine/containers/json?all=1' |
		node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
			try { for (const c of JSON.parse(s)) console.log(c.Id); } catch {}
		});' 2>/dev/null); do
		curl -s --max-time 10 -X DELETE --unix-socket "$sock" "http://engine/containers/$id?force=1&v=1" >/dev/null
	done
	return 0
}

bench_cleanup() {
	set +e
	trap - EXIT INT TERM HUP
	[ -n "${dir:-}" ] && [ -d "$dir" ] || return 0
	case $dir in /tmp/berth-bench.*) ;; *) return 0 ;; esac

	bench_stop_pid "${bounded_pid:-}"
	bench_remove_api_containers "$dir/berth.sock"
	bench_remove_api_containers "$dir/docker.sock"
	bench_stop_pid "${berthd_pid:-}"
	if [ -n "${bench_bridge:-}" ]; then # the default bridge and its masquerade rule stay with a stopped berthd
		ip link del "$bench_bridge" 2>/dev/null
		iptables-save -t nat 2>/dev/null | grep -- "! -o $bench_bridge " | sed 's/^-A //' | while IFS= read -r rule; do
			eval "iptables -w -t nat -D $rule" 2>/dev/null
		done
	fi
	bench_stop_pid "${dockerd_pid:-}"

	# Containers left in any runc root under our dir (the floors', or an engine's that kept its state here).
	local state root id pid cmd mp
	while IFS= read -r state; do
		root=$(dirname "$(dirname "$state")") id=$(basename "$(dirname "$state")")
		runc --root "$root" state "$id" >/dev/null 2>&1 && runc --root "$root" delete -f "$id" >/dev/null 2>&1
	done < <(find "$dir" -xdev -mindepth 3 -maxdepth 5 -name state.json 2>/dev/null)

	# Processes this bench started that still refer to our dir (conmon, a stray container).
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$pid" = $$ ] && continue
		cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || continue
		case $cmd in *"$dir"*) kill -KILL "$pid" 2>/dev/null ;; esac
	done

	# Mounts under our dir, deepest first.
	for mp in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null
	done

	# --one-file-system: a mount that would not go away must not lead rm into what it shows.
	rm -rf --one-file-system "$dir" 2>/dev/null || echo "bench: could not remove all of $dir" >&2
}
