import { expect } from 'chai'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'

describe('completionCommands', () => {
  it('should print a script that completes every command and flag, those of lazy commands too', async () => {
    const bash = await plexiInProcess(['completion', 'bash'])
    expect(bash.code, bash.stderr).to.equal(0)
    expect(bash.stdout).to.include('complete -F _plexi_completion plexi')
    // model gen-tiny's flags are added when the model command runs: the script has them all the same
    expect(bash.stdout).to.match(/' model gen-tiny --out'[^\n]*kind=file/)
    expect(bash.stdout).to.include("' model gen-tiny --quant'")
    const zsh = await plexiInProcess(['completion', 'zsh'])
    expect(zsh.stdout.startsWith('#compdef plexi npx\n')).to.equal(true)
    expect(zsh.stdout).to.include("' model gen-tiny --seed'")
  })

  it('should refuse a shell it does not know with a usage error naming the ones it does', async () => {
    const fish = await plexiInProcess(['completion', 'fish'])
    expect(fish.code).to.equal(2)
    expect(fish.stderr).to.equal('plexi: completion: expected a shell, bash or zsh, got "fish"\n')
  })
})
