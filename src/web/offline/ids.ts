const DEVICE_KEY = 'gramlens.device';

/** A random (version 4) UUID; crypto.getRandomValues works outside secure contexts too, unlike randomUUID. */
export function newUuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** This browser's mark in the audit trail, made once and kept (it names no person). */
export function deviceMark(storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): string {
  let mark = storage.getItem(DEVICE_KEY);
  if (!mark) {
    mark = `device-${newUuid().slice(0, 13)}`;
    storage.setItem(DEVICE_KEY, mark);
  }
  return mark;
}

/** A photo as base64 (the sync request is JSON). */
export async function base64Of(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}
