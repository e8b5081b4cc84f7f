import { h, uniqueId } from '../../dom.ts';

const DEFAULT_OPACITY = 55;

/** The photo with the Grad-CAM heatmap over it, a show/hide switch and an opacity slider. */
export function heatmapViewer(photoUrl: string, heatmapUrl: string | null): HTMLElement {
  const photo = h('img', { class: 'photo', src: photoUrl, alt: 'The specimen photo as analysed', decoding: 'async' });
  if (!heatmapUrl) {
    return h('figure', { class: 'heatmap' }, h('div', { class: 'stack' }, photo), h('figcaption', {}, 'No heatmap was produced for this prediction.'));
  }
  const overlay = h('img', { class: 'overlay', src: heatmapUrl, alt: 'Grad-CAM heatmap over the photo', decoding: 'async' });
  const opacityValue = h('output', {}, `${DEFAULT_OPACITY}%`);
  const opacity = h('input', { type: 'range', min: '0', max: '100', step: '5', value: String(DEFAULT_OPACITY), id: uniqueId('opacity') });
  const show = h('input', { type: 'checkbox', checked: true, id: uniqueId('show-heatmap') });
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

  return h(
    'figure',
    { class: 'heatmap' },
    h('div', { class: 'stack' }, photo, overlay),
    h('figcaption', {}, 'Grad-CAM: warm colours mark the regions that weighed most for the top class. It shows where the model looked, not that it is right.'),
    h(
      'div',
      { class: 'heatmap-controls' },
      h('div', { class: 'switch' }, show, h('label', { htmlFor: show.id }, 'Show heatmap')),
      h('div', { class: 'slider' }, h('label', { htmlFor: opacity.id }, 'Heatmap opacity'), opacity, opacityValue),
    ),
  );
}
