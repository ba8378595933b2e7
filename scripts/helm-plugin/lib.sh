# shellcheck shell=sh
# Shared by the `mm2` Helm plugin's scripts (sourced, POSIX sh): where its mm2gen binary is.
#
# The order, used by the install hook and at run time alike:
#   1. <plugin dir>/bin/mm2gen        a binary shipped next to the plugin
#   2. mm2gen on PATH                 e.g. `cargo install`, a package, a release download
#   3. <plugin dir>/target/release/mm2gen   built by the install hook from the plugin's sources
# The hook builds (3) only when (1) and (2) are missing, so an mm2gen you installed wins.

# mm2gen_installed ROOT: prints (1) or (2).
mm2gen_installed() {
  if [ -x "$1/bin/mm2gen" ] && [ ! -d "$1/bin/mm2gen" ]; then
    printf '%s\n' "$1/bin/mm2gen"
    return 0
  fi
  _mm2gen_path=$(command -v mm2gen 2>/dev/null) || return 1
  case $_mm2gen_path in
    /*) printf '%s\n' "$_mm2gen_path" ;;
    *) return 1 ;; # an alias or a function, not a binary
  esac
}

# mm2gen_built ROOT: the binary the install hook builds.
mm2gen_built() {
  printf '%s\n' "$1/target/release/mm2gen"
}

# mm2gen_find ROOT: prints the binary the plugin runs, or fails.
mm2gen_find() {
  mm2gen_installed "$1" && return 0
  if [ -x "$(mm2gen_built "$1")" ]; then
    mm2gen_built "$1"
    return 0
  fi
  return 1
}

# mm2gen_missing ROOT WHO: the error when no binary is found at run time (exit 1 follows).
mm2gen_missing() {
  cat >&2 <<MSG
error: $2 found no mm2gen binary
  looked for: $1/bin/mm2gen, \`mm2gen\` on PATH, $(mm2gen_built "$1")
help: put mm2gen on PATH (\`cargo install --path <mm2gen checkout>\` or a release binary), or
      reinstall the plugin so that its install hook builds one:
      \`helm plugin uninstall mm2\` and \`helm plugin install <the same directory or URL>\`
MSG
}
