// Every option of the core exists here, spelled camelCase, in the TypeScript
// options of each function it applies to, and each function accepts exactly
// the options its type declares.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { checkAccount, checkKey, collect, loadSnapshot, optionNames, remediate, remediateKeys } from '../index.js'
import { DEMO, rejectsWith } from './helpers.mjs'

const dts = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.d.ts'), 'utf8')

/** The members of an interface of index.d.ts. */
function members(name) {
  const body = dts.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))
  assert.ok(body, `index.d.ts has no interface ${name}`)
  return [...body[1].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1])
}

/** The option names a function's options type declares (through its alias and intersection). */
function declared(fn) {
  const signature = dts.match(new RegExp(`export declare function ${fn}\\(([^)]*)\\)`))
  assert.ok(signature, `index.d.ts has no function ${fn}`)
  const type = signature[1].match(/options\?: (\w+)/)[1]
  const alias = dts.match(new RegExp(`export type ${type} = ([\\w& ]+)`))
  const parts = alias ? alias[1].split('&').map((p) => p.trim()) : [type]
  return parts.flatMap(members)
}

// Where each option applies; an option not listed applies to every operation,
// so a new core option fails the tests below until each function has it.
const OPERATIONS = [
  'checkKey',
  'checkAccount',
  'collect',
  'remediate',
  'remediateKeys',
  'checkOrganization',
  'remediateOrganization',
]
const CHECKS = ['checkKey', 'checkAccount', 'collect', 'remediateKeys', 'checkOrganization']
const REMEDIATIONS = ['remediate', 'remediateKeys', 'remediateOrganization']
const ORGANIZATIONS = ['checkOrganization', 'remediateOrganization']
const APPLIES = {
  region: ['checkKey', 'remediateKeys'],
  maxRotationPeriodDays: CHECKS,
  evaluateDisabledKeys: CHECKS,
  exemptions: CHECKS,
  maxRequestsPerSecond: CHECKS,
  maxInFlight: CHECKS,
  onProgress: CHECKS,
  rotationHistory: CHECKS,
  maxDaysSinceRotation: CHECKS,
  acceptOnDemandRotation: CHECKS,
  materialExpiryWarningDays: CHECKS,
  lastUsage: CHECKS,
  rotationPeriodDays: REMEDIATIONS,
  dryRun: REMEDIATIONS,
  rotateOnDemand: REMEDIATIONS,
  allowOtherSource: REMEDIATIONS,
  strict: ['loadSnapshot'],
  organization: ORGANIZATIONS,
  organizationalUnit: ORGANIZATIONS,
  accountsFile: ORGANIZATIONS,
  roleName: ORGANIZATIONS,
  includeAccounts: ORGANIZATIONS,
  excludeAccounts: ORGANIZATIONS,
  maxAccountsInFlight: ORGANIZATIONS,
  assumeRoleInCallerAccount: ORGANIZATIONS,
  remediationRoleName: ORGANIZATIONS,
  evidence: ['checkAccount'],
  baseline: ['checkAccount', 'checkOrganization'],
  failOn: ['checkAccount', 'checkOrganization'],
  toSecurityHub: ['checkAccount'],
  // checkCloudFormation's only (see declarations.test.mjs).
  parameters: ['checkCloudFormation'],
  // Declared keys against live ones (see drift.test.mjs).
  compareLive: ['checkTerraformPlan', 'checkCloudFormation'],
  stackName: ['checkCloudFormation'],
  cloudformationClient: ['checkCloudFormation'],
}
const applies = (name, fn) => (APPLIES[name] ?? OPERATIONS).includes(fn)

describe('option names', () => {
  it("are the core's, camelCase", () => {
    const names = optionNames()
    assert.ok(names.length >= 18)
    for (const name of ['client', 'clientFactory', 'regions', 'region', 'roleArn', 'externalId', 'sessionName']) {
      assert.ok(names.includes(name), name)
    }
    assert.ok(names.every((n) => /^[a-z][A-Za-z]*$/.test(n)), names.join(', '))
  })

  for (const fn of [...OPERATIONS, 'loadSnapshot']) {
    it(`${fn}: its TypeScript options have every core option that applies, and no other`, () => {
      const expected = optionNames().filter((name) => applies(name, fn))
      assert.deepEqual(declared(fn).sort(), expected.sort())
    })
  }
})

describe('accepted keys', () => {
  const arn = 'arn:aws:kms:eu-west-1:111122223333:key/8f5c122d-0ed7-47bb-b01e-b24e96c08d61'
  const calls = {
    checkKey: (options) => checkKey(arn, options),
    checkAccount: (options) => checkAccount(options),
    collect: (options) => collect('/nonexistent/dir/snapshot.json', options),
    remediate: async (options) => remediate(await checkAccount({ client: options.client }), options),
    remediateKeys: (options) => remediateKeys([arn], options),
  }
  for (const [fn, call] of Object.entries(calls)) {
    it(`${fn}: takes each declared option and refuses the others`, async () => {
      const names = declared(fn)
      for (const name of optionNames()) {
        const client = loadSnapshot(DEMO)
        const options = { client, [name]: name === 'client' ? client : undefined }
        assert.equal(names.includes(name), applies(name, fn), name)
        if (names.includes(name)) {
          // Absent values: the call runs as without the option (collect then fails to write).
          await call(options).catch((error) => assert.equal(error.code, 'IO', `${name}: ${error.message}`))
        } else {
          await rejectsWith(call(options), 'INVALID_INPUT', new RegExp(`unknown option "${name}"`))
        }
      }
    })
  }
})

describe('strict snapshots', () => {
  it('loadSnapshot and Snapshot.fromJson take { strict }, and refuse other keys', async () => {
    const { Snapshot } = await import('../index.js')
    const text = JSON.stringify({ regions: { 'us-east-1': { keys: [{ KeyMetadata: { KeyId: 'k' } }] } } })
    const lenient = Snapshot.fromJson(text)
    assert.deepEqual(lenient.regions, ['us-east-1'])
    assert.throws(() => Snapshot.fromJson(text, { strict: true }), { code: 'INVALID_INPUT' })
    assert.throws(() => Snapshot.fromJson(text, { stric: true }), { code: 'INVALID_INPUT', message: /unknown option "stric"/ })
    assert.deepEqual(loadSnapshot(DEMO, { strict: true }).regions, ['eu-west-1', 'us-east-1'])
    assert.throws(() => loadSnapshot(DEMO, { strict: 'yes' }), { code: 'INVALID_INPUT' })
  })
})
