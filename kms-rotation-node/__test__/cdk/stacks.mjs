// The CDK stacks the declaration tests check: every kind of key the decision
// table tells apart, written as a CDK user writes them. `stacks(app)` adds them
// to an app; `node synth.mjs OUTDIR` synthesises them all in one process.
import { CfnCondition, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib'
import * as kms from 'aws-cdk-lib/aws-kms'

/** Keys made with the L2 `Key` construct. */
export class RotationStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props)
    new kms.Key(this, 'Rotating', { enableKeyRotation: true })
    new kms.Key(this, 'NotRotating', { alias: 'alias/not-rotating' })
    new kms.Key(this, 'Every180Days', { enableKeyRotation: true, rotationPeriod: Duration.days(180) })
    new kms.Key(this, 'Every730Days', { enableKeyRotation: true, rotationPeriod: Duration.days(730) })
    new kms.Key(this, 'Hmac', { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC })
    new kms.Key(this, 'Rsa', { keySpec: kms.KeySpec.RSA_2048, keyUsage: kms.KeyUsage.SIGN_VERIFY })
    new kms.Key(this, 'Ecc', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY })
  }
}

/** Keys made with the L1 constructs: multi-Region, imported material, a parameter, a condition. */
export class DeclaredStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props)
    const primary = new kms.CfnKey(this, 'Primary', { multiRegion: true, enableKeyRotation: true })
    new kms.CfnReplicaKey(this, 'Replica', {
      primaryKeyArn: primary.attrArn,
      keyPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: Fn.sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      },
    })
    new kms.CfnKey(this, 'Imported', { origin: 'EXTERNAL' })
    const rotate = new CfnParameter(this, 'RotateKeys', { type: 'String', allowedValues: ['true', 'false'] })
    new kms.CfnKey(this, 'FromParameter', { enableKeyRotation: rotate.valueAsString })
    const period = new CfnParameter(this, 'RotationPeriod', { type: 'Number', default: 365 })
    new kms.CfnKey(this, 'PeriodFromParameter', { enableKeyRotation: true, rotationPeriodInDays: period.valueAsNumber })
    const inUsEast1 = new CfnCondition(this, 'InUsEast1', { expression: Fn.conditionEquals(Stack.of(this).region, 'us-east-1') })
    new kms.CfnKey(this, 'DependsOnRegion', { enableKeyRotation: Fn.conditionIf(inUsEast1.logicalId, true, false) })
  }
}

/** Adds the test stacks to `app`; returns them by name. */
export function stacks(app) {
  return {
    rotation: new RotationStack(app, 'RotationStack'),
    declared: new DeclaredStack(app, 'DeclaredStack'),
  }
}
