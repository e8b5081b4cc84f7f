import type { OutboxItem, OutboxStorage } from './outbox.ts';

export const OUTBOX_DATABASE = 'gramlens-outbox';
const STORE = 'items';
const BY_USER = 'byUser';

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error('the outbox write was aborted'));
  });
}

function openDatabase(): Promise<IDBDatabase> {
  const request = indexedDB.open(OUTBOX_DATABASE, 1);
  request.onupgradeneeded = () => {
    const items = request.result.createObjectStore(STORE, { keyPath: 'key' });
    items.createIndex(BY_USER, ['userId', 'queuedAt']);
  };
  return done(request);
}

/** The outbox in this browser's IndexedDB: it outlives the page, a logout and a revoked session. */
export class IndexedDbOutboxStorage implements OutboxStorage {
  private database: Promise<IDBDatabase> | null = null;

  private async transaction(mode: IDBTransactionMode): Promise<IDBTransaction> {
    this.database ??= openDatabase();
    return (await this.database).transaction(STORE, mode);
  }

  async put(item: OutboxItem): Promise<void> {
    const transaction = await this.transaction('readwrite');
    transaction.objectStore(STORE).put(item);
    await committed(transaction);
  }

  async itemsOf(userId: number): Promise<OutboxItem[]> {
    const transaction = await this.transaction('readonly');
    const range = IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
    return done(transaction.objectStore(STORE).index(BY_USER).getAll(range) as IDBRequest<OutboxItem[]>);
  }

  async remove(key: string): Promise<void> {
    const transaction = await this.transaction('readwrite');
    transaction.objectStore(STORE).delete(key);
    await committed(transaction);
  }
}
