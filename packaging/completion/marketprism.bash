# bash completion for marketprism: generated from src/cli/commands.ts (marketprism completion bash); do not edit.
_marketprism() {
  local cur prev cmd
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "streams schema query credentials health logs check-config status integrity version --version --help" -- "$cur"))
    return
  fi
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "${COMP_WORDS[1]}" in
    streams) COMPREPLY=($(compgen -W "ensure" -- "$cur")); return ;;
    schema) COMPREPLY=($(compgen -W "migrate" -- "$cur")); return ;;
    credentials) COMPREPLY=($(compgen -W "ensure" -- "$cur")); return ;;
    esac
  fi
  cmd="${COMP_WORDS[1]}"
  case "$cmd" in streams|schema|credentials) cmd="$cmd ${COMP_WORDS[2]}" ;; esac
  case "$cmd" in
    "streams ensure")
      case "$prev" in
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --env-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --server) COMPREPLY=($(true)); return ;;
      esac
      COMPREPLY=($(compgen -W "--config --env-file --server" -- "$cur") )
      ;;
    "schema migrate")
      case "$prev" in
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --env-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--config --env-file" -- "$cur") )
      ;;
    "query")
      case "$prev" in
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --env-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "table JSONEachRow JSON CSV CSVWithNames TSV TSVWithNames Vertical" -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--config --env-file --format" -- "$cur") )
      ;;
    "credentials ensure")
      case "$prev" in
        --dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --group) COMPREPLY=($(true)); return ;;
      esac
      COMPREPLY=($(compgen -W "--dir --group" -- "$cur") )
      ;;
    "health")
      case "$prev" in
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--config --root --json" -- "$cur") $(compgen -W "broker collector storage storage-cold" -- "$cur"))
      ;;
    "logs")
      COMPREPLY=($(compgen -W "" -- "$cur") $(compgen -W "broker collector storage storage-cold" -- "$cur"))
      ;;
    "check-config")
      case "$prev" in
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --module) COMPREPLY=($(compgen -W "broker collector storage storage-cold" -- "$cur")); return ;;
        --env-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--config --module --env-file --root --json" -- "$cur") $(compgen -f -- "$cur"))
      ;;
    "status")
      case "$prev" in
        --config-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--config-dir --root --color --json" -- "$cur") )
      ;;
    "integrity")
      case "$prev" in
        --since) COMPREPLY=($(true)); return ;;
        --from) COMPREPLY=($(true)); return ;;
        --to) COMPREPLY=($(true)); return ;;
        --bucket) COMPREPLY=($(true)); return ;;
        --max-records) COMPREPLY=($(true)); return ;;
        --config-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      esac
      COMPREPLY=($(compgen -W "--since --from --to --bucket --max-records --config-dir --json" -- "$cur") )
      ;;
    "version")
      COMPREPLY=($(compgen -W "" -- "$cur") )
      ;;
  esac
}
complete -F _marketprism marketprism
