import { api, messageOf } from '../../api.ts';
import { busy, field, h, Message, options, replace } from '../../dom.ts';
import { kappa, kappaBand } from '../../format.ts';
import { labelNamer } from '../../label-tree.ts';
import { dataTable } from '../../table.ts';
import type { Agreement, Decision, DecisionStatus, Project } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { projectSelect } from './project-select.ts';

const STATUS_TEXT: Record<DecisionStatus, string> = {
  adjudicated: 'adjudicated',
  unanimous: 'unanimous',
  majority: 'majority vote',
  'awaiting-labels': 'awaiting labels',
  'no-majority': 'no majority: needs your decision',
  unclear: 'unclear: left out of training',
};

const labelName = (project: Project) => labelNamer(project.classTree);

function agreementSummary(report: Agreement, nameOf: (label: string) => string): HTMLElement {
  const { fleiss } = report;
  const cohen = dataTable('Cohen’s kappa per pair of annotators', ['Annotator', 'Annotator', 'Shared images', 'Kappa', 'Agreement'], { 'data-table': 'cohen' });
  if (report.pairs.length === 0) cohen.setEmpty('No two annotators have labelled the same images yet.');
  else {
    cohen.setRows(
      report.pairs.map((pair) =>
        h(
          'tr',
          {},
          h('td', {}, pair.annotators[0].username),
          h('td', {}, pair.annotators[1].username),
          h('td', { class: 'number' }, pair.items),
          h('td', { class: 'number' }, kappa(pair.kappa)),
          h('td', {}, kappaBand(pair.kappa)),
        ),
      ),
    );
  }
  return h(
    'div',
    { class: 'agreement' },
    h(
      'div',
      { class: 'stat card', attrs: { 'data-stat': 'fleiss' } },
      h('p', { class: 'stat-label' }, 'Fleiss’ kappa (all annotators)'),
      h('p', { class: 'stat-value' }, kappa(fleiss.kappa)),
      h('p', { class: 'stat-note' }, `${kappaBand(fleiss.kappa)} · ${fleiss.items} images with ${fleiss.ratersPerItem} labels each`),
    ),
    cohen.element,
    h('p', { class: 'hint' }, `Categories: ${report.categories.map(nameOf).join(', ')}. “Skip” answers are not counted.`),
  );
}

function disagreementCard(project: Project, decision: Decision, onDecided: (updated: Decision) => void): HTMLElement {
  const message = new Message();
  const nameOf = labelName(project);
  const select = options(
    h('select', { name: 'label' }),
    [...project.classes, 'unclear'].map((name) => ({ value: name, label: nameOf(name) })),
    decision.adjudicatedLabel ?? decision.votes[0]?.label,
  );
  const save = h('button', { type: 'submit', class: 'button button-primary button-small' }, 'Set final label');
  const title = decision.originalName ?? `image ${decision.image.sha256.slice(0, 12)}`;
  // Without a patient ID the image is its own patient: its sha256 says nothing useful.
  const patient = decision.patientId === decision.image.sha256 ? null : `patient ${decision.patientId}`;
  const details = [patient, decision.specimen, STATUS_TEXT[decision.status]].filter((part): part is string => part !== null);
  return h(
    'li',
    { class: 'card disagreement', attrs: { 'data-image': decision.image.sha256 } },
    h('img', { src: decision.image.url, alt: `Image ${title}`, loading: 'lazy', decoding: 'async' }),
    h(
      'div',
      { class: 'disagreement-body' },
      h('h3', {}, title),
      h('p', { class: 'meta' }, details.join(' · ')),
      h(
        'ul',
        { class: 'votes' },
        decision.votes.map((vote) => h('li', {}, h('span', { class: 'vote-user' }, vote.username), ' ', h('span', { class: 'vote-label' }, nameOf(vote.label)))),
      ),
      decision.adjudicatedLabel ? h('p', {}, 'Final label: ', h('strong', {}, nameOf(decision.adjudicatedLabel))) : null,
      h(
        'form',
        {
          class: 'inline-form',
          on: {
            submit: (event) => {
              event.preventDefault();
              void busy(save, () => api.adjudicate(project.id, decision.image.sha256, select.value))
                .then(onDecided)
                .catch((error) => message.show(messageOf(error), 'error'));
            },
          },
        },
        field('Final label', select),
        save,
      ),
      message.element,
    ),
  );
}

/** Inter-annotator agreement and the images annotators disagree on, with adjudication. */
export function agreementPage(): View {
  const message = new Message();
  const picker = h('div', { class: 'picker' });
  const report = h('div', { class: 'report', attrs: { 'aria-live': 'polite' } });
  const list = h('ol', { class: 'disagreements' });
  const listNote = h('p', { class: 'hint' });
  let loadCount = 0;

  const load = async (project: Project) => {
    const ticket = ++loadCount;
    replace(report, h('p', { class: 'hint' }, 'Loading…'));
    try {
      const [agreement, disagreements] = await Promise.all([api.agreement(project.id), api.disagreements(project.id)]);
      if (ticket !== loadCount) return;
      replace(report, agreementSummary(agreement, labelName(project)));
      const renderList = (items: Decision[]) => {
        listNote.textContent = items.length === 0 ? 'No disagreements: every image with several labels got the same one.' : `${items.length} image(s) with differing labels.`;
        replace(
          list,
          items.map((decision, i) =>
            disagreementCard(project, decision, (updated) => {
              items[i] = updated;
              renderList(items);
              message.show(`Final label for ${updated.originalName ?? 'the image'}: ${updated.adjudicatedLabel === null ? 'none' : labelName(project)(updated.adjudicatedLabel)}.`, 'success');
            }),
          ),
        );
      };
      renderList(disagreements);
    } catch (error) {
      replace(report);
      message.show(messageOf(error), 'error');
    }
  };

  const element = h(
    'section',
    { class: 'admin-page' },
    h('h1', { tabIndex: -1 }, 'Agreement'),
    message.element,
    picker,
    report,
    h('h2', {}, 'Disagreements and adjudication'),
    listNote,
    list,
  );

  api
    .projects()
    .then((projects) => replace(picker, projectSelect(projects, (project) => void load(project))))
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
