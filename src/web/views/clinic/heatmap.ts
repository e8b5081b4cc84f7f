import { h, uniqueId } from '../../dom.ts';

const DEFAULT_OPACITY = 55;

export interface OverlayOptions {
  /** Alt text of the photo and of the overlay. */
  photoAlt: string;
  overlayAlt: string;
  /** What the overlay is called on its controls, e.g. "heatmap" ("Show heatmap", "Heatmap opacity"). */
  name: string;
  caption: string;
  /** Starting opacity in percent. */
  opacity: number;
  /** Shown between the caption and the controls (e.g. a legend). */
  extra?: HTMLElement;
  className?: string;
}

/** The photo with a transparent layer over it, a show/hide switch and an opacity slider. */
export function overlayViewer(photoUrl: string, overlayUrl: string, options: OverlayOptions): HTMLElement {
  const photo = h('img', { class: 'photo', src: photoUrl, alt: options.photoAlt, decoding: 'async' });
  const overlay = h('img', { class: 'overlay', src: overlayUrl, alt: options.overlayAlt, decoding: 'async' });
  const opacityValue = h('output', {}, `${options.opacity}%`);
  const opacity = h('input', { type: 'range', min: '0', max: '100', step: '5', value: String(options.opacity), id: uniqueId('opacity') });
  const show = h('input', { type: 'checkbox', checked: true, id: uniqueId('show-overlay') });
  opacityValue.htmlFor.add(opacity.id);

  const apply = () => {
    overlay.hidden = !show.checked;
    overlay.style.opacity = String(Number(opacity.value) / 100);
    opacity.disabled = !show.checked;
    opacityValue.textContent = `${opacity.value}%`;
  };
  show.addEventListener('change', apply);
  opacity.addEventListener('input', apply);
  apply();

  const title = options.name.charAt(0).toUpperCase() + options.name.slice(1);
  return h(
    'figure',
    { class: options.className ?? 'heatmap' },
    h('div', { class: 'stack' }, photo, overlay),
    h('figcaption', {}, options.caption),
    options.extra ?? null,
    h(
      'div',
      { class: 'heatmap-controls' },
      h('div', { class: 'switch' }, show, h('label', { htmlFor: show.id }, `Show ${options.name}`)),
      h('div', { class: 'slider' }, h('label', { htmlFor: opacity.id }, `${title} opacity`), opacity, opacityValue),
    ),
  );
}

/** The photo with the Grad-CAM heatmap over it, a show/hide switch and an opacity slider. */
export function heatmapViewer(photoUrl: string, heatmapUrl: string | null): HTMLElement {
  if (!heatmapUrl) {
    const photo = h('img', { class: 'photo', src: photoUrl, alt: 'The specimen photo as analysed', decoding: 'async' });
    return h('figure', { class: 'heatmap' }, h('div', { class: 'stack' }, photo), h('figcaption', {}, 'No heatmap was produced for this prediction.'));
  }
  return overlayViewer(photoUrl, heatmapUrl, {
    photoAlt: 'The specimen photo as analysed',
    overlayAlt: 'Grad-CAM heatmap over the photo',
    name: 'heatmap',
    caption: 'Grad-CAM: warm colours mark the regions that weighed most for the top class. It shows where the model looked, not that it is right.',
    opacity: DEFAULT_OPACITY,
  });
}
