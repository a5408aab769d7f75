// Work that must commit atomically with whatever transaction a request runs, without the domain code knowing:
// an AsyncLocalStorage store whose beforeCommit runs at the end of every Database.transaction inside it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tx } from './database.ts';

export interface TransactionHooks {
  beforeCommit(tx: Tx): Promise<void>;
}

export const transactionHooks = new AsyncLocalStorage<TransactionHooks>();
