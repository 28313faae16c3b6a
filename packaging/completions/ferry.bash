# bash completion for ferry: sub-commands, their sub-commands and flags.
_ferry() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local commands="copy inspect mirror delete describe list version"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --help --help-all" -- "$cur"))
    return
  fi
  local words
  case "${COMP_WORDS[1]}" in
    copy) words="--filename --parallel --authfile --quiet --platform --keep-index --sparse --retry-times --retry-delay
                 --chunk-size --src-tls-verify --dest-tls-verify --src-cert-dir --dest-cert-dir --src-creds --dest-creds
                 --source-use-http --dest-use-http --source-skip-tls --dest-skip-tls" ;;
    inspect) words="--raw --output --authfile --tls-verify --skip-tls --use-http --cert-dir --creds --platform" ;;
    list) words="operators tags releases" ;;
    version) words="--output" ;;
    describe) words="--output" ;;
    mirror) words="--config --workspace --from --dry-run --source-mirror" ;;
    delete) words="--generate --config --workspace --delete-id --delete-yaml-file --dry-run --dest-use-http
                   --dest-tls-verify --dest-cert-dir --dest-creds --authfile --output" ;;
  esac
  if [[ $cur == -* || -n $words ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
  # references and files
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -W "docker:// oci: oci-archive: docker-archive: dir:" -- "$cur") $(compgen -f -- "$cur"))
  fi
}
complete -F _ferry ferry
