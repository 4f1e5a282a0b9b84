export { applyFileChanges, prepareChanges, refuseWhenInterrupted, Transaction, STOP_AFTER_WRITES_ENV } from './transaction.js';
export type { ApplyFilesResult, PreparedChange } from './transaction.js';
export { driftedFiles, latestTransaction, rollbackTransaction } from './rollback.js';
export type { RollbackOptions, RollbackResult } from './rollback.js';
export { interruptedTransactions, listManifests, readManifest, rollbackCommand, TRANSACTIONS_DIR, withLock } from './store.js';
export type { FileChange, FileState, Manifest, ManifestFile, RuntimeRecord, TransactionState } from './types.js';
