import { h } from '../../dom.ts';
import type { View, ViewContext } from '../../view.ts';
import { agreementPage } from './agreement.ts';
import { auditPage } from './audit.ts';
import { jobsPage } from './jobs.ts';
import { modelsPage } from './models.ts';
import { projectsPage } from './projects.ts';
import { trainingPage } from './training.ts';
import { usersPage } from './users.ts';

export interface AdminPage {
  path: string;
  title: string;
  create(context: ViewContext): View;
}

export const ADMIN_PAGES: readonly AdminPage[] = [
  { path: 'users', title: 'Users', create: usersPage },
  { path: 'projects', title: 'Projects', create: projectsPage },
  { path: 'agreement', title: 'Agreement', create: agreementPage },
  { path: 'models', title: 'Models', create: modelsPage },
  { path: 'training', title: 'Training', create: trainingPage },
  { path: 'jobs', title: 'Jobs', create: jobsPage },
  { path: 'audit', title: 'Audit log', create: auditPage },
];

/** An admin page under the admin tabs. */
export function adminView(context: ViewContext, page: AdminPage): View {
  const tabs = h(
    'nav',
    { class: 'tabs', attrs: { 'aria-label': 'Administration' } },
    ADMIN_PAGES.map((p) => h('a', { href: `#/admin/${p.path}`, attrs: { 'aria-current': p === page ? 'page' : null } }, p.title)),
  );
  const inner = page.create(context);
  return { element: h('div', { class: 'admin' }, tabs, inner.element), dispose: inner.dispose };
}
