# Sourced by fetch-tool.sh: downloads one package from Debian testing and unpacks it into a
# directory, never installing it system-wide. The archive is the one the machine's own apt sources
# name (override with DEBIAN_MIRROR=URI); a private apt state leaves the machine's lists untouched.

# The first Debian archive URI (not -security) in /etc/apt/sources.list.d/*.sources (deb822) or
# the one-line sources.list files.
debian_mirror() {
  if [[ -n "${DEBIAN_MIRROR:-}" ]]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(
    {
      sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n'
      sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
    } | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1
  )
  if [[ -z "$uri" ]]; then
    echo "no Debian archive in the apt sources (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list); set DEBIAN_MIRROR" >&2
    return 1
  fi
  echo "${uri%/}"
}

# fetch_from_testing PACKAGE DEST: unpacks Debian testing's PACKAGE into DEST (its usr/bin/... tree).
fetch_from_testing() {
  local package=$1 dest=$2 mirror work
  mirror=$(debian_mirror)
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb $mirror testing main" >"$work/sources.list"
  local apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && apt-get "${apt_opts[@]}" download -qq "$package")
  rm -rf "$dest"
  mkdir -p "$dest"
  dpkg -x "$work/${package}"_*.deb "$dest"
}
