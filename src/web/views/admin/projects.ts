import { api, messageOf } from '../../api.ts';
import { busy, field, h, Message, options, replace } from '../../dom.ts';
import { dateTime } from '../../format.ts';
import { labelNamer } from '../../label-tree.ts';
import { dataTable } from '../../table.ts';
import type { Project } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { classTreeEditor } from './class-tree-editor.ts';

const EXAMPLE_TREE = [
  {
    name: 'Gram-positive',
    children: [
      { name: 'gpc_clusters', displayName: 'Gram-positive cocci in clusters' },
      { name: 'gpc_chains', displayName: 'Gram-positive cocci in chains' },
      { name: 'gpr', displayName: 'Gram-positive rods' },
    ],
  },
  {
    name: 'Gram-negative',
    children: [
      { name: 'gnr', displayName: 'Gram-negative rods' },
      { name: 'gnc', displayName: 'Gram-negative cocci' },
    ],
  },
  { name: 'yeast', displayName: 'Yeast' },
  { name: 'no_organisms', displayName: 'No organisms seen' },
];

export function projectsPage(): View {
  const message = new Message();
  const table = dataTable('Annotation projects', ['Name', 'Classes', 'Labels per image', 'Images', 'Created']);
  let projects: Project[] = [];

  // New project
  const name = h('input', { type: 'text', name: 'name', required: true, maxLength: 200, autocomplete: 'off' });
  const labelsRequired = h('input', { type: 'number', name: 'labelsRequired', min: '1', max: '50', step: '1', value: '2', required: true, inputMode: 'numeric' });
  const treeEditor = classTreeEditor(EXAMPLE_TREE);
  const create = h('button', { type: 'submit', class: 'button button-primary' }, 'Create project');

  const createForm = h(
    'form',
    {
      class: 'card',
      noValidate: true,
      attrs: { 'aria-labelledby': 'new-project-title' },
      on: {
        submit: (event) => {
          event.preventDefault();
          const check = treeEditor.check();
          if (!name.value.trim()) return message.show('Give the project a name.', 'error');
          if ('problem' in check) {
            treeEditor.focusTarget().focus();
            return message.show(`The class tree: ${check.problem}`, 'error');
          }
          const required = Number(labelsRequired.value);
          if (!Number.isInteger(required) || required < 1 || required > 50) return message.show('Labels required per image must be a whole number from 1 to 50.', 'error');
          void busy(create, () => api.createProject(name.value.trim(), check.tree, required))
            .then((project) => {
              projects.push(project);
              render();
              name.value = '';
              message.show(`Created the project “${project.name}” with ${project.classes.length} classes.`, 'success');
            })
            .catch((error) => message.show(messageOf(error), 'error'));
        },
      },
    },
    h('h2', { id: 'new-project-title' }, 'New project'),
    field('Name', name),
    field('Labels required per image', labelsRequired, 'How many annotators label each image (2 or more to measure agreement).'),
    treeEditor.element,
    create,
  );

  // Image upload
  const uploadProject = h('select', { name: 'project' });
  const files = h('input', { type: 'file', name: 'images', multiple: true, accept: 'image/jpeg,image/png,image/tiff,image/webp' });
  const patientId = h('input', { type: 'text', name: 'patientId', maxLength: 500, autocomplete: 'off' });
  const specimen = h('input', { type: 'text', name: 'specimen', maxLength: 500, autocomplete: 'off' });
  const uploadButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Upload images');
  const progress = h('progress', { max: 1, value: 0, hidden: true, attrs: { 'aria-label': 'Upload progress' } });
  const uploadStatus = new Message();
  const failures = h('ul', { class: 'failures' });

  const upload = async () => {
    const chosen = Array.from(files.files ?? []);
    const projectId = Number(uploadProject.value);
    if (!projectId) return uploadStatus.show('Create a project first.', 'error');
    if (chosen.length === 0) return uploadStatus.show('Choose one or more images.', 'error');
    replace(failures);
    progress.hidden = false;
    progress.max = chosen.length;
    let added = 0;
    let present = 0;
    const failed: string[] = [];
    for (const [i, file] of chosen.entries()) {
      progress.value = i;
      uploadStatus.show(`Uploading ${i + 1} of ${chosen.length}…`);
      const form = new FormData();
      form.append('image', file, file.name);
      if (patientId.value.trim()) form.append('patientId', patientId.value.trim());
      if (specimen.value.trim()) form.append('specimen', specimen.value.trim());
      try {
        const result = await api.uploadImage(projectId, form);
        if (result.added) added++;
        else present++;
      } catch (error) {
        failed.push(`${file.name}: ${messageOf(error)}`);
      }
    }
    progress.value = chosen.length;
    replace(failures, failed.map((text) => h('li', {}, text)));
    const summary = `Added ${added} image${added === 1 ? '' : 's'}${present ? `, ${present} already in the project` : ''}${failed.length ? `; ${failed.length} failed (listed below)` : ''}.`;
    uploadStatus.show(summary, failed.length ? 'error' : 'success');
    files.value = '';
    projects = await api.projects();
    render();
  };

  const uploadForm = h(
    'form',
    {
      class: 'card',
      noValidate: true,
      attrs: { 'aria-labelledby': 'upload-title' },
      on: {
        submit: (event) => {
          event.preventDefault();
          void busy(uploadButton, upload).catch((error) => uploadStatus.show(messageOf(error), 'error'));
        },
      },
    },
    h('h2', { id: 'upload-title' }, 'Add images to a project'),
    field('Project', uploadProject),
    field('Images', files, 'JPEG, PNG, TIFF or WebP; metadata such as GPS is removed on upload.'),
    field('Patient ID (optional)', patientId, 'Images of one patient stay together in training splits. Leave empty when each image is its own patient.'),
    field('Specimen (optional)', specimen),
    uploadButton,
    progress,
    uploadStatus.element,
    failures,
  );

  const render = () => {
    table.setRows(
      projects.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, p.name),
          h('td', {}, p.classes.map(labelNamer(p.classTree)).join(', ')),
          h('td', { class: 'number' }, p.labelsRequired),
          h('td', { class: 'number' }, p.imageCount),
          h('td', {}, dateTime(p.createdAt)),
        ),
      ),
    );
    const selected = uploadProject.value;
    options(
      uploadProject,
      projects.map((p) => ({ value: String(p.id), label: p.name })),
      selected || undefined,
    );
  };

  const element = h(
    'section',
    { class: 'admin-page' },
    h('h1', { tabIndex: -1 }, 'Projects'),
    message.element,
    table.element,
    h('div', { class: 'admin-grid' }, createForm, uploadForm),
  );

  api
    .projects()
    .then((list) => {
      projects = list;
      render();
    })
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
