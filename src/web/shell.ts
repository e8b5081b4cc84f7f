import { h } from './dom.ts';
import type { SessionUser } from '../contract/index.ts';

export const RESEARCH_NOTICE = 'Research use only — not a medical device. Do not base diagnosis or treatment on this software.';

export function researchNotice(): HTMLParagraphElement {
  return h('p', { class: 'research-notice', attrs: { role: 'note' } }, RESEARCH_NOTICE);
}

export interface Shell {
  element: HTMLElement;
  main: HTMLElement;
  /** Marks the top-bar link of the current route (aria-current). */
  setCurrent(path: string): void;
}

/** The frame around every logged-in screen: skip link, top bar, research notice, main area. */
export function createShell(user: SessionUser, links: { path: string; label: string }[], onLogout: () => void): Shell {
  const anchors = links.map((link) => h('a', { href: `#/${link.path}` }, link.label));
  const logout = h('button', { type: 'button', class: 'button button-quiet', on: { click: onLogout } }, 'Log out');
  const main = h('main', { id: 'main', tabIndex: -1 });
  const element = h(
    'div',
    { class: 'shell' },
    h('a', { class: 'skip-link', href: '#main', on: { click: (event) => (event.preventDefault(), main.focus()) } }, 'Skip to content'),
    h(
      'header',
      { class: 'topbar' },
      h('span', { class: 'brand' }, 'gramlens'),
      anchors.length > 1 ? h('nav', { attrs: { 'aria-label': 'Main' } }, anchors) : null,
      h('div', { class: 'account' }, h('span', { class: 'who' }, `${user.username} · ${user.role}`), logout),
    ),
    researchNotice(),
    main,
  );
  return {
    element,
    main,
    setCurrent(path) {
      links.forEach((link, i) => {
        const current = path === link.path || path.split('/')[0] === link.path.split('/')[0];
        if (current) anchors[i].setAttribute('aria-current', 'page');
        else anchors[i].removeAttribute('aria-current');
      });
    },
  };
}
