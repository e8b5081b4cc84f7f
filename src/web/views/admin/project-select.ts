import { field, h, options } from '../../dom.ts';
import type { Project } from '../../../contract/index.ts';

/** A labelled project chooser; calls onChange with the chosen project, also once for the initial one. */
export function projectSelect(projects: readonly Project[], onChange: (project: Project) => void, label = 'Project'): HTMLElement {
  if (projects.length === 0) return h('p', { class: 'hint' }, 'There are no projects yet: create one under Projects.');
  const select = options(
    h('select', { name: 'project' }),
    projects.map((p) => ({ value: String(p.id), label: p.name })),
  );
  const chosen = () => projects.find((p) => String(p.id) === select.value)!;
  select.addEventListener('change', () => onChange(chosen()));
  queueMicrotask(() => onChange(chosen()));
  return field(label, select);
}
