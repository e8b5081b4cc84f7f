import { onOutboxChange, queuedItems } from '../../offline/index.ts';

/** Where a result read on the device stands, in its meta line. */
export const QUEUED_NOTE = 'read on this device, will be sent to the audit trail';
export const SENT_NOTE = 'read on this device, in the audit trail';

/** Once the outbox has sent the reading queued under this key, its result on screen says so. */
export function noteWhenSent(key: string, predictionId: string): void {
  const check = () =>
    void queuedItems().then((items) => {
      if (items.some((item) => item.key === key)) return;
      stop();
      document.querySelectorAll(`[data-prediction-id="${CSS.escape(predictionId)}"] .meta`).forEach((meta) => {
        meta.textContent = (meta.textContent ?? '').replace(QUEUED_NOTE, SENT_NOTE);
      });
    });
  const stop = onOutboxChange(check);
  check();
}
