# bash completion for ringfetch(1) - installed by meson into
# share/bash-completion/completions.  tests/integration/test_docs.py checks
# that the option lists below match `ringfetch --help` and `ringfetch bench --help`.
# Works with the bash-completion package and without it (source this file
# from ~/.bashrc): its helpers are used only where they exist.

# File (or, with -d, directory) names for the word being completed.
_ringfetch_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	elif [[ $1 == -d ]]; then
		compopt -o filenames 2>/dev/null || :
		COMPREPLY=($(compgen -d -- "$cur"))
	else
		compopt -o filenames 2>/dev/null || :
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

_ringfetch()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi

	local opts="-4 -6 -A -C -H -J -K -L -N -O -P -S -V -b -c -f -h -i -j -k -nH -nc -o -q -r -s -t -v -w -x
		--cacert --capath --cert --checksum --compressed --config --cookie --cookie-jar --connect-timeout --content-disposition --continue
		--continue-at --cpus --create-dirs --cut-dirs --directory --directory-prefix --force-directories
		--no-config --no-host-directories --remote-header-name
		--discard --tar --shard-size --shard-bytes --warc-file --warc-compression --warc-keep-credentials --warc-max-size --warc-cdx --dns-max-inflight --dns-servers --fail --file-io --fsync --header --help --http1.1 --http2 --http2-prior-knowledge --input-file --insecure --io --io-report
		--jobs --json --key --limit-rate --limit-rate-per-host --location --location-trusted
		--max-filesize --max-per-host --max-redirs --max-time --netrc --netrc-file --no-check-certificate --no-clobber
		--no-progress --noproxy --output --print-digest --progress --proxy --proxy-user
		--ipv4 --ipv6 --quiet --range --resolve --resolver --retry --retry-delay --retry-on-checksum --shard --show-error --silent --split --threads --timeout
		--timestamping --tls-min --tmpfile --tries --uring-big-buffer --uring-fixed-files
		--uring-no-splice --uring-recv --uring-recv-buffer --uring-recv-inc
		--uring-recv-pool --uring-setup --uring-submit-batch --uring-write-fixed --user
		--user-agent --verbose --version --write-out"
	local bench_opts="-H -X -c -d -h -i -k -m -n -q -t
		--body-file --cacert --connections --data --data-file --duration --header --help --http2 --input-file --max-concurrent-streams
		--fail-if --latency-table --insecure --io --io-report --json --merge --method --no-keepalive --no-tls-resume
		--percentiles --plot --quiet --rate --rate-ramp --recv-buffer --requests --resolve --stages --start-at --threads --timeline
		--timeout --uring-fixed-files --uring-send-zc --uring-setup --uring-submit-batch
		--warmup"

	local bench=0 i
	for ((i = 1; i < cword; i++)); do
		[[ ${words[i]} == bench ]] && bench=1 && break
	done

	case $prev in
	-i | --input-file | -o | -O | --output | --json | --netrc-file | --cacert | --cert | \
		--key | --body-file | --data-file | --percentiles | --plot | -K | --config | --cookie-jar)
		_ringfetch_files
		return
		;;
	-P | --directory | --directory-prefix | --capath)
		_ringfetch_files -d
		return
		;;
	--io)
		COMPREPLY=($(compgen -W "uring epoll auto" -- "$cur"))
		return
		;;
	--uring-setup)
		COMPREPLY=($(compgen -W "defer-taskrun coop-taskrun plain sqpoll" -- "$cur"))
		return
		;;
	--uring-recv)
		COMPREPLY=($(compgen -W "pool multishot own auto" -- "$cur"))
		return
		;;
	--uring-recv-inc | --uring-fixed-files | --uring-write-fixed | --uring-send-zc | --tmpfile)
		COMPREPLY=($(compgen -W "on off auto" -- "$cur"))
		return
		;;
	--file-io)
		COMPREPLY=($(compgen -W "ring inline auto" -- "$cur"))
		return
		;;
	--warc-compression)
		COMPREPLY=($(compgen -W "gzip zstd none" -- "$cur"))
		return
		;;
	--print-digest)
		COMPREPLY=($(compgen -W "sha-256 sha-512 sha-1 md5" -- "$cur"))
		return
		;;
	--tls-min)
		COMPREPLY=($(compgen -W "1.2 1.3" -- "$cur"))
		return
		;;
	--shard)
		COMPREPLY=($(compgen -W "auto" -- "$cur"))
		return
		;;
	-X | --method)
		COMPREPLY=($(compgen -W "GET HEAD POST PUT DELETE OPTIONS" -- "$cur"))
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		if ((bench)); then
			COMPREPLY=($(compgen -W "$bench_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		fi
		return
	fi
	if ((cword == 1)); then
		COMPREPLY=($(compgen -W "bench" -- "$cur"))
	fi
}
complete -F _ringfetch ringfetch
