/** Predictions made on the device carry ids with this prefix: they are not (yet) in the server's audit trail. */
export const DEVICE_PREDICTION_PREFIX = 'device-';

export function isDevicePrediction(id: string): boolean {
  return id.startsWith(DEVICE_PREDICTION_PREFIX);
}
