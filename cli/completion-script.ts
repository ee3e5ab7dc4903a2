import type { Argument, Command, Option } from 'commander'

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const
export type CompletionShell = typeof COMPLETION_SHELLS[number]

/** How the word after a flag, or a positional argument, completes: file or directory names, one
 * of some words, or anything (nothing is offered: a name, a number, text). */
type ValueKind = { readonly kind: 'file' | 'dir' | 'any' } | { readonly kind: 'words', readonly words: readonly string[] }

interface FlagSpec {
  /** `--out`, or the short form of a flag that has no long one. */
  readonly names: readonly string[]
  readonly description: string
  /** undefined: a switch, which takes no value. */
  readonly value: ValueKind | undefined
}

/** One command of the tree, as completion sees it. */
interface CommandSpec {
  /** The words from the program to it, each after a space: '' (the program), ' admin', ' admin backup'. */
  readonly path: string
  /** Its name and aliases. */
  readonly names: readonly string[]
  readonly description: string
  readonly subcommands: readonly CommandSpec[]
  readonly flags: readonly FlagSpec[]
  readonly args: ReadonlyArray<{ readonly value: ValueKind, readonly variadic: boolean }>
}

/** What a command or flag name may hold to go into a script unquoted (ours all do; checked so that
 * a name that does not can never make a script that does something else). */
const SAFE_WORD = /^-{0,2}[A-Za-z0-9][A-Za-z0-9_.,-]*$/

/**
 * The completion script of `program` for `shell`, generated from the command tree itself (its
 * visible commands, their flags and their arguments' choices), so that it cannot go stale: a new
 * command or flag completes as soon as it exists.
 */
export function completionScript (program: Command, shell: CompletionShell): string {
  const root = commandSpec(program, '')
  return shell === 'bash' ? bashScript(program.name(), root) : zshScript(program.name(), root)
}

function commandSpec (command: Command, path: string): CommandSpec {
  const help = command.createHelp()
  const subcommands = help.visibleCommands(command).map((sub) => commandSpec(sub, `${path} ${sub.name()}`))
  const siblings = help.visibleCommands(command).map((c) => c.name()).filter((n) => n !== 'help')
  const args = command.registeredArguments.map((arg) => ({ value: argumentValue(arg), variadic: arg.variadic }))
  return {
    path,
    names: [command.name(), ...command.aliases()].map(safe),
    description: oneLine(command.description()),
    subcommands: subcommands.map((sub) => sub.names[0] === 'help' && sub.subcommands.length === 0 && sub.args.length === 1
      // the help command's argument is one of the commands beside it
      ? { ...sub, args: [{ value: { kind: 'words', words: siblings }, variadic: false }] }
      : sub),
    // (a boolean's --no- twin is hidden from the help, named in its line there, and completes all the same)
    flags: [...help.visibleOptions(command), ...command.options.filter((o) => o.hidden && o.negate)].map(flagSpec),
    args
  }
}

function flagSpec (option: Option): FlagSpec {
  const names = option.long === undefined ? [option.short ?? option.flags] : [option.long]
  // a value that only may follow ([value]) is left out: the next word may as well be a command
  return { names: names.map(safe), description: oneLine(option.description), value: option.required ? optionValue(option) : undefined }
}

function optionValue (option: Option): ValueKind {
  if (option.argChoices !== undefined) return { kind: 'words', words: option.argChoices.map(safe) }
  const placeholder = /<([^>]*)>/.exec(option.flags)?.[1] ?? ''
  const long = option.long ?? ''
  // (--tls-cert and --tls-key are the node's key-named flags: <value>, as every config key's)
  if (placeholder === 'file' || long.endsWith('-file') || long === '--config' || long === '--tls-cert' || long === '--tls-key') return { kind: 'file' }
  if (placeholder === 'dir' || long.endsWith('-dir')) return { kind: 'dir' }
  return { kind: 'any' }
}

function argumentValue (arg: Argument): ValueKind {
  if (arg.argChoices !== undefined) return { kind: 'words', words: arg.argChoices.map(safe) }
  if (arg.name() === 'file') return { kind: 'file' }
  if (arg.name() === 'dir') return { kind: 'dir' }
  return { kind: 'any' }
}

function safe (word: string): string {
  if (!SAFE_WORD.test(word)) throw new Error(`completion: ${JSON.stringify(word)} cannot go into a completion script (expected ${String(SAFE_WORD)})`)
  return word
}

/** A description as one line of at most 80 characters (zsh shows it beside the word). */
function oneLine (text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= 80 ? flat : `${flat.slice(0, 79)}…`
}

function all (spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(all)]
}

/** A single-quoted shell word (for bash and zsh alike). */
function quote (text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}

/** The tables both scripts consult, as shell functions of the current command path ($1), each
 * setting variables of its caller: `words` renders a list of [word, description] for the shell. */
function tables (name: string, root: CommandSpec, words: (items: ReadonlyArray<readonly [string, string]>) => string): string {
  const specs = all(root)
  const fn = `__${name}_completion`
  const valueOf = (value: ValueKind): string => value.kind === 'words'
    ? `_${name}_kind=words; _${name}_words=${words(value.words.map((w) => [w, '']))}`
    : `_${name}_kind=${value.kind}`
  const lines: string[] = []
  lines.push(`# the command path that word $2 leads to from path $1 ('' when it is not a subcommand there)`)
  lines.push(`${fn}_child () {`, '  case "$1 $2" in')
  for (const spec of specs) {
    for (const sub of spec.subcommands) lines.push(`    ${sub.names.map((n) => quote(`${spec.path} ${n}`)).join('|')}) _${name}_next=${quote(sub.path)} ;;`)
  }
  lines.push(`    *) _${name}_next='' ;;`, '  esac', '}')
  lines.push('# the subcommands at path $1')
  lines.push(`${fn}_commands () {`, '  case "$1" in')
  for (const spec of specs) {
    if (spec.subcommands.length > 0) lines.push(`    ${quote(spec.path)}) _${name}_words=${words(spec.subcommands.map((s) => [s.names[0] ?? '', s.description]))} ;;`)
  }
  lines.push(`    *) _${name}_words=${words([])} ;;`, '  esac', '}')
  lines.push('# the flags at path $1')
  lines.push(`${fn}_flags () {`, '  case "$1" in')
  for (const spec of specs) lines.push(`    ${quote(spec.path)}) _${name}_words=${words(spec.flags.map((f) => [f.names[0] ?? '', f.description]))} ;;`)
  lines.push(`    *) _${name}_words=${words([])} ;;`, '  esac', '}')
  lines.push(`# how the value of flag $2 at path $1 completes (_${name}_kind file, dir, words or any; '' when $2 takes no value)`)
  lines.push(`${fn}_value () {`, '  case "$1 $2" in')
  for (const spec of specs) {
    for (const flag of spec.flags) {
      if (flag.value !== undefined) lines.push(`    ${flag.names.map((n) => quote(`${spec.path} ${n}`)).join('|')}) ${valueOf(flag.value)} ;;`)
    }
  }
  lines.push(`    *) _${name}_kind='' ;;`, '  esac', '}')
  lines.push(`# how positional argument $2 (from 0) at path $1 completes ('' when the command takes no more)`)
  lines.push(`${fn}_argument () {`, '  case "$1 $2" in')
  for (const spec of specs) {
    for (const [i, arg] of spec.args.entries()) {
      lines.push(`    ${quote(`${spec.path} ${i}`)}${arg.variadic ? `|${quote(`${spec.path} `)}*` : ''}) ${valueOf(arg.value)} ;;`)
    }
  }
  lines.push(`    *) _${name}_kind='' ;;`, '  esac', '}')
  return lines.join('\n')
}

function bashScript (name: string, root: CommandSpec): string {
  const fn = `__${name}_completion`
  const words = (items: ReadonlyArray<readonly [string, string]>): string => quote(items.map(([w]) => w).join(' '))
  return `# bash completion for ${name}, generated by \`${name} completion bash\` from its commands: it is never
# older than the ${name} that made it. Install it for this shell: source <(${name} completion bash)
# and for every new one: echo 'source <(${name} completion bash)' >> ~/.bashrc
${tables(name, root, words)}
_${name}_completion () {
  # (_${name}_first: where ${name}'s own words start, 1 but after npx)
  local cur=\${COMP_WORDS[COMP_CWORD]} cmdpath='' want='' npos=0 glue=0 i w first=\${_${name}_first:-1}
  local _${name}_next _${name}_kind _${name}_words
  local -a words=()
  COMPREPLY=()
  # "=" and ":" are word breaks (COMP_WORDBREAKS): --admin-addr=127.0.0.1:7402 arrives in pieces;
  # inside such a value there is nothing to offer
  if [[ $cur =~ ^[=:]+$ ]] || { (( COMP_CWORD > 1 )) && [[ \${COMP_WORDS[COMP_CWORD-1]} =~ ^[=:]+$ ]]; }; then return 0; fi
  for ((i = first; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ $w =~ ^[=:]+$ ]] && (( \${#words[@]} > 0 )); then words[\${#words[@]}-1]+=$w; glue=1; continue; fi
    if (( glue )); then words[\${#words[@]}-1]+=$w; glue=0; continue; fi
    words+=("$w")
  done
  for w in "\${words[@]}"; do
    if [[ -n $want ]]; then want=''; continue; fi
    case $w in
      -?*=*) continue ;;
      -?*) ${fn}_value "$cmdpath" "$w"; [[ -n $_${name}_kind ]] && want=$w; continue ;;
    esac
    ${fn}_child "$cmdpath" "$w"
    if [[ -n $_${name}_next ]]; then cmdpath=$_${name}_next; npos=0; else npos=$((npos + 1)); fi
  done
  if [[ -n $want ]]; then
    ${fn}_value "$cmdpath" "$want"
  elif [[ $cur == -* ]]; then
    ${fn}_flags "$cmdpath"
    _${name}_kind=words
  else
    ${fn}_commands "$cmdpath"
    if [[ -n $_${name}_words ]]; then
      _${name}_kind=words
    else
      ${fn}_argument "$cmdpath" "$npos"
      # no argument left: the flags
      [[ -z $_${name}_kind ]] && { ${fn}_flags "$cmdpath"; _${name}_kind=words; }
    fi
  fi
  case $_${name}_kind in
    words) COMPREPLY=($(compgen -W "$_${name}_words" -- "$cur")) ;;
    file|dir)
      compopt -o filenames 2>/dev/null
      local IFS=$'\\n'
      COMPREPLY=($(compgen -$([[ $_${name}_kind == dir ]] && echo d || echo f) -- "$cur")) ;;
  esac
  return 0
}
complete -F _${name}_completion ${name}
# npx ${name} ...: the same, from the word after ${name} (for npx, unless it completes already)
_${name}_npx_completion () {
  COMPREPLY=()
  if (( COMP_CWORD > 1 )) && [[ \${COMP_WORDS[1]} == ${name} ]]; then
    local _${name}_first=2
    _${name}_completion
  elif (( COMP_CWORD == 1 )) && [[ -n \${COMP_WORDS[1]} && ${name} == "\${COMP_WORDS[1]}"* ]]; then
    COMPREPLY=(${name})
  fi
  return 0
}
complete -p npx >/dev/null 2>&1 || complete -o default -F _${name}_npx_completion npx
`
}

function zshScript (name: string, root: CommandSpec): string {
  const fn = `__${name}_completion`
  // zsh arrays of word:description, as _describe takes them (a colon in the word is escaped)
  const words = (items: ReadonlyArray<readonly [string, string]>): string =>
    `(${items.map(([w, d]) => quote(d === '' ? w.replaceAll(':', '\\:') : `${w.replaceAll(':', '\\:')}:${d}`)).join(' ')})`
  return `#compdef ${name} npx
# zsh completion for ${name}, generated by \`${name} completion zsh\` from its commands: it is never
# older than the ${name} that made it. Install it for this shell (after compinit):
#   source <(${name} completion zsh)
# or for every new one, as a file named _${name} in a directory of $fpath:
#   ${name} completion zsh > ~/.zsh/completions/_${name}   # with fpath=(~/.zsh/completions $fpath) before compinit in ~/.zshrc
${tables(name, root, words)}
_${name} () {
  # npx ${name} ...: the same, from the word after ${name}; npx with anything else: zsh's default
  if [[ \${words[1]} == npx ]]; then
    if (( CURRENT > 2 )) && [[ \${words[2]} == ${name} ]]; then
      words=("\${(@)words[2,-1]}")
      (( CURRENT-- ))
    else
      _default
      return
    fi
  fi
  local cur=\${words[CURRENT]} cmdpath='' want='' w
  local -i npos=0 i
  local _${name}_next _${name}_kind
  local -a _${name}_words
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    if [[ -n $want ]]; then want=''; continue; fi
    case $w in
      (-?*=*) continue ;;
      (-?*) ${fn}_value "$cmdpath" "$w"; [[ -n $_${name}_kind ]] && want=$w; continue ;;
    esac
    ${fn}_child "$cmdpath" "$w"
    if [[ -n $_${name}_next ]]; then cmdpath=$_${name}_next; npos=0; else npos=$(( npos + 1 )); fi
  done
  # --flag=value: the value after the =
  if [[ -z $want && $cur == -?*=* ]]; then
    want=\${cur%%=*}
    compset -P '*='
  fi
  if [[ -n $want ]]; then
    ${fn}_value "$cmdpath" "$want"
  elif [[ $cur == -* ]]; then
    ${fn}_flags "$cmdpath"
    _describe -t options 'option' _${name}_words
    return
  else
    ${fn}_commands "$cmdpath"
    if (( \${#_${name}_words} > 0 )); then
      _describe -t commands 'command' _${name}_words
      return
    fi
    ${fn}_argument "$cmdpath" "$npos"
    if [[ -z $_${name}_kind ]]; then
      ${fn}_flags "$cmdpath"
      _describe -t options 'option' _${name}_words
      return
    fi
  fi
  case $_${name}_kind in
    (words) _describe -t values 'value' _${name}_words ;;
    (file) _files ;;
    (dir) _files -/ ;;
  esac
}
# sourced (source <(${name} completion zsh)): register it; autoloaded from $fpath: complete now
if [[ \${funcstack[1]} == _${name} ]]; then
  _${name} "$@"
else
  compdef _${name} ${name}
  (( \$+_comps[npx] )) || compdef _${name} npx
fi
`
}
