// Types of scripts/build-sdk.mjs, for the tests that build the SDK before running what imports '@pik/sdk'.
export function buildSdk(): Promise<void>;
export function buildSdkIfStale(): Promise<void>;
