import { api, messageOf } from '../../api.ts';
import { busy, field, h, Message, options, uniqueId } from '../../dom.ts';
import { dateTime } from '../../format.ts';
import { dataTable } from '../../table.ts';
import type { Role, User } from '../../../contract/index.ts';
import type { View, ViewContext } from '../../view.ts';

const ROLES: readonly { value: Role; label: string }[] = [
  { value: 'clinician', label: 'Clinician: classifies photos' },
  { value: 'annotator', label: 'Annotator: labels project images' },
  { value: 'admin', label: 'Admin: manages everything' },
];

export function usersPage({ user: me }: ViewContext): View {
  const message = new Message();
  const table = dataTable('Everyone who can log in', ['Username', 'Role', 'Created', 'Status', '']);
  let users: User[] = [];

  const row = (user: User) => {
    const toggle = h('button', { type: 'button', class: 'button button-small', disabled: user.id === me.id }, user.disabled ? 'Enable' : 'Disable');
    toggle.addEventListener('click', () =>
      void busy(toggle, () => api.updateUser(user.id, { disabled: !user.disabled }))
        .then((updated) => {
          users = users.map((u) => (u.id === updated.id ? updated : u));
          render();
          message.show(`${updated.username} is now ${updated.disabled ? 'disabled (their sessions ended)' : 'enabled'}.`, 'success');
        })
        .catch((error) => message.show(messageOf(error), 'error')),
    );
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, user.username),
      h('td', {}, user.role),
      h('td', {}, dateTime(user.createdAt)),
      h('td', {}, user.disabled ? h('span', { class: 'tag tag-muted' }, 'disabled') : 'active'),
      h('td', {}, ...withPasswordReset(user, toggle)),
    );
  };

  /** The row's buttons with "Reset password…", which opens a one-field form below them; a new password ends the user's sessions. */
  const withPasswordReset = (user: User, toggle: HTMLButtonElement): HTMLElement[] => {
    const input = h('input', { type: 'password', name: 'new-password', required: true, minLength: 12, autocomplete: 'new-password' });
    const save = h('button', { type: 'submit', class: 'button button-small button-primary' }, 'Set password');
    const form = h('form', { class: 'password-reset', hidden: true, noValidate: true, id: uniqueId('reset') }, field(`New password for ${user.username}`, input), save);
    const open = h('button', { type: 'button', class: 'button button-small', attrs: { 'aria-expanded': 'false', 'aria-controls': form.id } }, 'Reset password…');
    open.addEventListener('click', () => {
      form.hidden = !form.hidden;
      open.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) input.focus();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (input.value.length < 12) return message.show('The password needs at least 12 characters.', 'error');
      void busy(save, () => api.updateUser(user.id, { password: input.value }))
        .then((updated) => {
          form.reset();
          form.hidden = true;
          open.setAttribute('aria-expanded', 'false');
          message.show(`${updated.username} has a new password${updated.id === me.id ? '' : ' (their sessions ended)'}: tell it to them in person.`, 'success');
        })
        .catch((error) => message.show(messageOf(error), 'error'));
    });
    return [h('div', { class: 'button-row' }, toggle, open), form];
  };
  const render = () => table.setRows(users.map(row));

  const username = h('input', { type: 'text', name: 'username', required: true, maxLength: 64, autocomplete: 'off', autocapitalize: 'none', spellcheck: false });
  const password = h('input', { type: 'password', name: 'password', required: true, minLength: 12, autocomplete: 'new-password' });
  const role = options(h('select', { name: 'role' }), ROLES);
  const create = h('button', { type: 'submit', class: 'button button-primary' }, 'Create user');
  const form = h(
    'form',
    {
      class: 'card',
      noValidate: true,
      attrs: { 'aria-labelledby': 'new-user-title' },
      on: {
        submit: (event) => {
          event.preventDefault();
          if (!username.value.trim()) return message.show('Enter a username.', 'error');
          if (password.value.length < 12) return message.show('The password needs at least 12 characters.', 'error');
          void busy(create, () => api.createUser(username.value.trim(), password.value, role.value as Role))
            .then((created) => {
              users.push(created);
              render();
              form.reset();
              message.show(`Created ${created.username} (${created.role}).`, 'success');
              username.focus();
            })
            .catch((error) => message.show(messageOf(error), 'error'));
        },
      },
    },
    h('h2', { id: 'new-user-title' }, 'New user'),
    field('Username', username),
    field('Password', password, 'At least 12 characters, not a common password. Tell it to the user in person.'),
    field('Role', role),
    create,
  );

  const element = h(
    'section',
    { class: 'admin-page' },
    h('h1', { tabIndex: -1 }, 'Users'),
    message.element,
    h('div', { class: 'admin-grid' }, table.element, form),
  );

  api
    .users()
    .then((list) => {
      users = list;
      render();
    })
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
