import type { Rgb } from './stain.ts';

/** A phone camera's rendering of the eyepiece image: white balance, colour response, JPEG habits. */
export interface DeviceProfile {
  id: string;
  /** Per-channel gain of the phone's white balance (the colour cast). */
  whiteBalance: Rgb;
  saturation: number;
  /** Tone curve exponent applied to 0..1 values (below 1 brightens mid-tones). */
  gamma: number;
  /** Whether the phone's JPEG halves the chroma resolution (4:2:0). */
  chromaSubsampling: boolean;
}

export const DEVICES: readonly DeviceProfile[] = [
  { id: 'phone-a', whiteBalance: [0.86, 0.86, 1.1], saturation: 1.2, gamma: 1.08, chromaSubsampling: true }, // cool lilac, like clinical phone photos
  { id: 'phone-b', whiteBalance: [1.04, 1.0, 0.9], saturation: 1.0, gamma: 0.95, chromaSubsampling: true }, // warm, halogen lamp
  { id: 'phone-c', whiteBalance: [0.96, 1.03, 0.97], saturation: 0.9, gamma: 1.0, chromaSubsampling: true }, // greenish, flat
  { id: 'phone-d', whiteBalance: [1.0, 0.9, 1.06], saturation: 1.2, gamma: 1.05, chromaSubsampling: true }, // magenta, punchy
  { id: 'phone-e', whiteBalance: [1.0, 1.0, 1.0], saturation: 1.0, gamma: 1.0, chromaSubsampling: false }, // neutral
  { id: 'phone-f', whiteBalance: [1.05, 1.04, 0.88], saturation: 0.85, gamma: 0.92, chromaSubsampling: true }, // yellowish, washed out
  { id: 'phone-g', whiteBalance: [0.88, 0.92, 1.12], saturation: 1.25, gamma: 1.1, chromaSubsampling: true }, // blue, contrasty
  { id: 'phone-h', whiteBalance: [0.93, 0.9, 1.06], saturation: 1.1, gamma: 1.0, chromaSubsampling: false }, // violet
];

export function deviceById(id: string): DeviceProfile {
  const device = DEVICES.find((d) => d.id === id);
  if (!device) throw new Error(`unknown device "${id}" (expected one of ${DEVICES.map((d) => d.id).join(', ')})`);
  return device;
}
