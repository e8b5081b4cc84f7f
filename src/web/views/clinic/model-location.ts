import { field, h, options } from '../../dom.ts';
import { api } from '../../api.ts';
import { DeviceWorker } from '../../on-device/index.ts';

export type ModelLocation = 'device' | 'server';

/** This device's choice, kept between visits; absent: on the device when it can. */
const LOCATION_KEY = 'gramlens.clinic.modelLocation';
/** Larger models are read on the server unless the user chooses the device. */
export const DEVICE_MODEL_MAX_BYTES = 40 * 1024 * 1024;
/** A first tile slower than this moves the automatic choice to the server. */
export const SLOW_FIRST_TILE_MS = 3000;

function deviceCanRun(): boolean {
  return typeof WebAssembly === 'object' && typeof Worker === 'function' && typeof OffscreenCanvas === 'function' && typeof createImageBitmap === 'function';
}

/**
 * "Run the model: on this device / on the server": the setting, the model the device holds (its
 * version, or why it is not used), and the automatic choice: on the device when the browser can and
 * the model is small enough, falling back to the server when loading fails or a first tile is slow.
 */
export class ModelLocationSetting {
  readonly element: HTMLElement;
  private readonly select = options(h('select', { name: 'modelLocation' }), [
    { value: 'device', label: 'On this device' },
    { value: 'server', label: 'On the server' },
  ]);
  private readonly status = h('p', { class: 'hint model-status', attrs: { role: 'status' } });
  private loading: Promise<DeviceWorker | null> | null = null;
  private firstTileTimed = false;

  constructor() {
    const chosen = localStorage.getItem(LOCATION_KEY);
    this.select.value = chosen === 'server' || chosen === 'device' ? chosen : deviceCanRun() ? 'device' : 'server';
    this.select.addEventListener('change', () => {
      localStorage.setItem(LOCATION_KEY, this.select.value);
      this.update();
    });
    this.element = h('div', { class: 'model-location' }, field('Run the model', this.select), this.status);
    this.update();
  }

  get location(): ModelLocation {
    return this.select.value === 'device' ? 'device' : 'server';
  }

  /** The model on the device when that is where it runs (loaded on first need), else null: read on the server. */
  async deviceModel(): Promise<DeviceWorker | null> {
    if (this.location !== 'device') return null;
    this.loading ??= this.load();
    return this.loading;
  }

  /** How long the first tile took on the device: a slow device moves the automatic choice to the server. */
  tileTook(ms: number): void {
    if (this.firstTileTimed) return;
    this.firstTileTimed = true;
    if (ms > SLOW_FIRST_TILE_MS && localStorage.getItem(LOCATION_KEY) === null) {
      void this.loading?.then((device) => device?.terminate());
      this.fallBack(`this device took ${(ms / 1000).toFixed(1)} s for one photo`);
    }
  }

  /** Stops the model's worker (the screen is left): each visit would otherwise keep another model in memory. */
  dispose(): void {
    void this.loading?.then((device) => device?.terminate());
    this.loading = null;
  }

  private update(): void {
    if (this.location === 'server') {
      this.status.textContent = 'Photos are sent to the server and read there.';
      return;
    }
    void this.deviceModel();
  }

  private async load(): Promise<DeviceWorker | null> {
    if (!deviceCanRun()) return this.fallBack('this browser cannot run the model');
    this.status.textContent = 'Loading the model onto this device…';
    try {
      // The size is asked before anything is downloaded: a model too large for the automatic choice is never fetched.
      if (localStorage.getItem(LOCATION_KEY) === null) {
        const { onnxBytes } = await api.deviceModel();
        if (onnxBytes > DEVICE_MODEL_MAX_BYTES) return this.fallBack(`the model (${Math.round(onnxBytes / 1e6)} MB) is too large for this device`);
      }
      const device = await DeviceWorker.start();
      this.status.textContent = `The model runs on this device: version ${device.info.modelVersion} (loaded in ${Math.round(device.loadMs)} ms).`;
      return device;
    } catch (error) {
      return this.fallBack(`the model could not be loaded onto this device (${(error as Error).message})`);
    }
  }

  private fallBack(why: string): null {
    this.select.value = 'server';
    this.loading = null;
    this.status.textContent = `Photos are read on the server: ${why}.`;
    return null;
  }
}
