// Types of `kms-rotation/lambda` (lambda.js): continuous evaluation's AWS Lambda handlers.
import type { InvocationSummary, RemediateKeysOptions } from './index'

/** The environment variable with the EventBridge handler's rule parameters (JSON). */
export declare const RULE_PARAMETERS_ENV: 'KMS_ROTATION_RULE_PARAMETERS'
/**
 * The environment variable that sends the findings to Security Hub too: `true` or `false`
 * (unset or empty: `false`; anything else rejects with `INVALID_INPUT` naming it).
 */
export declare const TO_SECURITY_HUB_ENV: 'KMS_ROTATION_TO_SECURITY_HUB'

/** What a handler reads of Lambda's context. */
export interface LambdaContext {
  invokedFunctionArn?: string
  getRemainingTimeInMillis?: () => number
}

/** A Lambda handler: the invocation's summary, or a rejection with `API_ERROR` and the AWS code. */
export type Handler = (event: object, context?: LambdaContext) => Promise<InvocationSummary>

/** The AWS Config custom rule's handler, with clients from the environment. */
export declare const configRuleHandler: Handler
/** The EventBridge rule's handler, with clients from the environment. */
export declare const eventHandler: Handler

/** Your own clients and options for a handler. */
export interface HandlerSettings extends Omit<RemediateKeysOptions, 'region'> {
  /** The region the function runs in (default: `AWS_REGION`). */
  region?: string
  /** A KMS client for a region (default: the SDK v3 `KMS` client from the environment). */
  clientFactory?: (region: string) => object
}

/** A Config rule handler over your clients. */
export declare function makeConfigRuleHandler(settings?: HandlerSettings & { configClient?: object }): Handler
/** An EventBridge handler over your clients; `ruleParameters` default to `KMS_ROTATION_RULE_PARAMETERS`. */
export declare function makeEventHandler(
  settings?: HandlerSettings & { ruleParameters?: Record<string, string> | string },
): Handler
/** The EventBridge event pattern that delivers exactly the events `eventHandler` follows. */
export declare function eventPattern(): object
