/** The clinician's on-device mode: the server's model run in the page (loaded lazily, with onnxruntime-web). */
export { loadDeviceModel, type LoadedDeviceModel } from './model.ts';
export { readOnDevice, type DeviceRequest } from './read.ts';
