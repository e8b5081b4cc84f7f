/** The clinician's on-device mode: the server's model run in a worker of the page (loaded lazily, with onnxruntime-web). */
export { DeviceWorker } from './device-worker.ts';
export { readOnDevice, type DeviceRequest } from './read.ts';
export { modelFilesForOffline } from './offline-files.ts';
export { keepDeviceVerdict, keepForAuditTrail } from './keep.ts';
export { isDevicePrediction } from './ids.ts';
