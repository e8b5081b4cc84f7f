import { api, ApiError, messageOf, type UploadProgress } from '../../api.ts';
import { busy, field, h, Message, options, replace, uniqueId } from '../../dom.ts';
import type { FieldAnswer, Prediction } from '../../../contract/index.ts';
import type { View, ViewContext } from '../../view.ts';
import { qualityRejection } from './field.ts';
import { History } from './history.ts';
import { ModelLocationSetting } from './model-location.ts';
import { keepForAuditTrail, readOnDevice } from '../../on-device/index.ts';
import { noteWhenSent } from './device-note.ts';
import { offlineStatus } from './offline-status.ts';
import { predictionResult, predictionSummary } from './result.ts';
import { shrinkPhoto } from './shrink-photo.ts';
import { Waiting } from './waiting.ts';

export const SPECIMEN_TYPES = [
  'Blood culture',
  'Cerebrospinal fluid (CSF)',
  'Sputum / respiratory',
  'Urine',
  'Wound / pus swab',
  'Sterile body fluid',
  'Other',
] as const;

const HISTORY_LENGTH = 10;
/** This device's choices, kept between visits: the phone and microscope stay the same. */
const WHOLE_FIELD_KEY = 'gramlens.clinic.wholeField';
const PX_PER_UM_KEY = 'gramlens.clinic.pxPerUm';

/** The clinician's screen: photograph a Gram stain, get the likely morphotype with its heatmap, give a verdict. */
export function clinicView({ user }: ViewContext): View {
  let photo: File | null = null;
  let previewUrl: string | null = null;

  const camera = h('input', { type: 'file', accept: 'image/*', class: 'visually-hidden', id: uniqueId('camera'), attrs: { capture: 'environment' } });
  const upload = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/tiff,image/webp', class: 'visually-hidden', id: uniqueId('upload') });
  const previewImage = h('img', { alt: 'Preview of the chosen photo' });
  const previewName = h('figcaption', {});
  const preview = h('figure', { class: 'preview', hidden: true }, previewImage, previewName);
  const specimen = options(h('select', { name: 'specimenType', required: true }), [
    { value: '', label: 'Choose the specimen type…' },
    ...SPECIMEN_TYPES.map((type) => ({ value: type, label: type })),
  ]);
  const caseId = h('input', { type: 'text', name: 'caseId', maxLength: 200, autocomplete: 'off' });
  const wholeField = h('input', { type: 'checkbox', name: 'wholeField', id: uniqueId('whole-field'), checked: localStorage.getItem(WHOLE_FIELD_KEY) === 'true' });
  const pxPerUm = h('input', { type: 'number', name: 'pxPerUm', min: '0.1', max: '1000', step: 'any', inputMode: 'decimal', value: localStorage.getItem(PX_PER_UM_KEY) ?? '' });
  const pxPerUmField = field('Photo scale, pixels per µm (optional)', pxPerUm, 'From this phone and microscope’s calibration; remembered on this device. Without it the scale is estimated from the organisms in the photo (less reliable) and the magnification is not checked.');
  const showFieldOptions = () => {
    pxPerUmField.hidden = !wholeField.checked;
    localStorage.setItem(WHOLE_FIELD_KEY, String(wholeField.checked));
  };
  wholeField.addEventListener('change', showFieldOptions);
  pxPerUm.addEventListener('change', () => localStorage.setItem(PX_PER_UM_KEY, pxPerUm.value));
  showFieldOptions();
  const modelLocation = new ModelLocationSetting();
  const analyse = h('button', { type: 'submit', class: 'button button-primary button-wide' }, 'Analyse photo');
  const message = new Message();
  const live = h('p', { class: 'visually-hidden live-result', attrs: { role: 'status', 'aria-live': 'polite' } });
  const resultArea = h('div', { class: 'result-area' });

  const choosePhoto = (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    photo = file;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    previewImage.src = previewUrl;
    previewName.textContent = file.name;
    preview.hidden = false;
    message.clear();
    input.value = '';
  };
  camera.addEventListener('change', () => choosePhoto(camera));
  upload.addEventListener('change', () => choosePhoto(upload));

  const history = new History((prediction) => show(prediction, true), user.role === 'admin');
  /** The active model's input scale, for shrinking photos before upload (null: unknown, shrink by size alone). */
  let modelPxPerUm: number | null = null;

  function show(prediction: Prediction, scroll: boolean): void {
    replace(resultArea, predictionResult(prediction, (updated) => history.put(updated)));
    live.textContent = predictionSummary(prediction);
    if (scroll) resultArea.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }

  const clearPhoto = () => {
    // A fresh form for the next specimen, so no case ID carries over to another patient.
    form.reset();
    wholeField.checked = localStorage.getItem(WHOLE_FIELD_KEY) === 'true';
    pxPerUm.value = localStorage.getItem(PX_PER_UM_KEY) ?? '';
    showFieldOptions();
    photo = null;
    preview.hidden = true;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    message.clear();
  };

  const predicted = (prediction: Prediction) => {
    clearPhoto();
    history.put(prediction);
    show(prediction, true);
  };

  /**
   * From "Analyse" to the answer: the previous result goes at once, and the result area shows the
   * step and the time elapsed (in view on a phone) while the photo is shrunk, uploaded and read.
   */
  const analysePhoto = async (send: (onProgress: UploadProgress, force: boolean) => Promise<FieldAnswer | Prediction>, firstStep: string, force = false) => {
    const waiting = new Waiting(firstStep);
    replace(resultArea, waiting.element);
    live.textContent = '';
    message.clear();
    waiting.element.scrollIntoView({ block: 'center', behavior: 'auto' });
    try {
      const answer = await send((sent) => waiting.uploading(sent), force);
      const prediction = 'quality' in answer ? answer.prediction : answer;
      if (prediction?.refusal?.code === 'quality') qualityRefused(prediction, 'quality' in answer ? answer.warnings : [], send);
      else if (prediction) predicted(prediction);
      else replace(resultArea, h('p', { class: 'message message-error', attrs: { role: 'alert' } }, 'No prediction: no part of the field of view could be read.'));
    } catch (error) {
      replace(resultArea, h('p', { class: 'message message-error', attrs: { role: 'alert' } }, messageOf(error)));
    } finally {
      waiting.stop();
    }
  };

  /**
   * Whole field refused by the quality check (kept in the history as in the audit trail): its reasons
   * and no prediction until "Predict anyway"; the photo stays chosen for that.
   */
  const qualityRefused = (refused: Prediction, warnings: string[], send: (onProgress: UploadProgress, force: boolean) => Promise<FieldAnswer | Prediction>) => {
    history.put(refused);
    message.clear();
    const reasons = refused.refusal?.qualityReasons ?? [];
    const rejection = qualityRejection(reasons, warnings, (button) => void busy(button, () => analysePhoto(send, 'Analysing…', true)));
    replace(resultArea, rejection);
    live.textContent = `Photo quality check failed: ${reasons.join(', ')}. No prediction was made.`;
    rejection.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  };

  const form = h(
    'form',
    {
      class: 'card capture',
      noValidate: true,
      attrs: { 'aria-labelledby': 'capture-title' },
      on: {
        submit: (event) => {
          event.preventDefault();
          if (!photo) return message.show('Take a photo or choose an image first.', 'error');
          if (!specimen.value) {
            specimen.focus();
            return message.show('Choose the specimen type.', 'error');
          }
          const scale = wholeField.checked && pxPerUm.value ? Number(pxPerUm.value) : null;
          if (scale !== null && (!pxPerUm.checkValidity() || !(scale > 0))) {
            pxPerUm.focus();
            return message.show('The photo scale must be a positive number of pixels per µm, or left empty.', 'error');
          }
          const chosen = photo;
          const data = new FormData();
          data.append('specimenType', specimen.value);
          if (caseId.value.trim()) data.append('caseId', caseId.value.trim());
          const whole = wholeField.checked;
          const request = { photo: chosen, specimenType: specimen.value, caseId: caseId.value.trim() || null, wholeField: whole, pxPerUm: scale, user };
          // Without the switch, a photo far larger than the model's input is still read as a whole field (here or by the server).
          const send = async (onProgress: UploadProgress, force: boolean) => {
            const device = await modelLocation.deviceModel();
            if (device) {
              onProgress(null);
              const started = performance.now();
              const answer = await readOnDevice(device, { ...request, force });
              if (!('quality' in answer)) modelLocation.tileTook(performance.now() - started);
              // Kept for the audit trail after the result is on screen: the photo is shrunk as for the server meanwhile.
              void keepForAuditTrail(answer, { ...request, photo: shrinkPhoto(chosen, scale, modelPxPerUm).then((sent) => sent.blob) })
                .then((key) => {
                  const kept = 'quality' in answer ? answer.prediction : answer;
                  if (key && kept) noteWhenSent(key, kept.id);
                })
                .catch((error: unknown) => message.show(messageOf(error), 'error'));
              return answer;
            }
            if (force) data.set('force', 'true');
            const sent = await shrinkPhoto(chosen, scale, modelPxPerUm);
            data.set('image', sent.blob, sent.name);
            // The photo's scale shrinks with it, so the server tiles at the same physical size.
            if (scale !== null) data.set('pxPerUm', String(scale * sent.factor));
            return whole || force ? api.predictField(data, onProgress) : api.predict(data, onProgress);
          };
          void busy(analyse, () => analysePhoto(send, 'Preparing the photo…'));
        },
      },
    },
    h('h1', { id: 'capture-title', tabIndex: -1 }, 'Classify a Gram stain'),
    h(
      'div',
      { class: 'photo-buttons' },
      camera,
      h('label', { htmlFor: camera.id, class: 'button button-primary button-photo' }, 'Take photo'),
      upload,
      h('label', { htmlFor: upload.id, class: 'button button-photo-secondary' }, 'Upload image'),
    ),
    preview,
    h('div', { class: 'switch' }, wholeField, h('label', { htmlFor: wholeField.id }, 'Whole microscope field (checks the photo first, reads every part of the field)')),
    pxPerUmField,
    modelLocation.element,
    field('Specimen type', specimen),
    field('Case ID (optional)', caseId, 'A reference of your own; avoid names and other identifying details.'),
    analyse,
    message.element,
  );

  const offline = offlineStatus();
  // Phone order: form, result, history, offline status; on wide screens the history sits under the form.
  const element = h('div', { class: 'clinic' }, form, h('section', { class: 'clinic-result', attrs: { 'aria-label': 'Result' } }, live, resultArea), history.element, offline.element);

  api
    .models()
    .then((models) => (modelPxPerUm = models.find((model) => model.active)?.inputPxPerUm ?? null))
    .catch(() => undefined); // Without it, photos are shrunk by size alone.
  api
    .predictions(HISTORY_LENGTH)
    .then((predictions) => history.set(predictions))
    .catch((error) => {
      // Without a network the offline status says so; the history comes back with the network.
      if (!(error instanceof ApiError && error.status === 0)) message.show(`Your history could not be loaded: ${messageOf(error)}`, 'error');
    });

  return {
    element,
    dispose: () => {
      offline.dispose();
      modelLocation.dispose();
      if (previewUrl) URL.revokeObjectURL(previewUrl);
    },
  };
}
