import { effectivePermissions, Permission, Role } from './permissions';

describe('effectivePermissions', () => {
  it('lets owners, admins and members read WhatsApp logs, but not a plain read-only key (seed 002)', () => {
    expect(effectivePermissions(Role.Owner, []).has(Permission.WhatsappLogRead)).toBe(true);
    expect(effectivePermissions(Role.Admin, []).has(Permission.WhatsappLogRead)).toBe(true);
    expect(effectivePermissions(Role.Member, []).has(Permission.WhatsappLogRead)).toBe(true);
    expect(effectivePermissions(Role.ReadOnly, []).has(Permission.WhatsappLogRead)).toBe(false);
  });

  it('grants extra permissions on top of the role', () => {
    expect(effectivePermissions(Role.ReadOnly, [Permission.WhatsappLogRead]).has(Permission.WhatsappLogRead)).toBe(true);
  });

  it('expands read:all to every read permission and nothing else', () => {
    const granted = effectivePermissions(Role.ReadOnly, [Permission.ReadAll]);
    expect(granted.has(Permission.WhatsappLogRead)).toBe(true);
    expect(granted.has(Permission.MessageLogRead)).toBe(true);
    expect(granted.has(Permission.BroadcastWrite)).toBe(false);
    expect(granted.has(Permission.MessageSend)).toBe(false);
  });

  it('keeps read-only keys from writing and members from managing sessions', () => {
    expect(effectivePermissions(Role.ReadOnly, []).has(Permission.BroadcastWrite)).toBe(false);
    expect(effectivePermissions(Role.Member, []).has(Permission.SessionManage)).toBe(false);
    expect(effectivePermissions(Role.Member, []).has(Permission.BroadcastWrite)).toBe(true);
  });

  it('keeps key management and the audit log to owners: admins lack them, read:all never adds the audit log', () => {
    expect(effectivePermissions(Role.Owner, []).has(Permission.KeysManage)).toBe(true);
    expect(effectivePermissions(Role.Owner, []).has(Permission.AuditLogRead)).toBe(true);
    expect(effectivePermissions(Role.Admin, []).has(Permission.KeysManage)).toBe(false);
    expect(effectivePermissions(Role.Admin, []).has(Permission.AuditLogRead)).toBe(false);
    expect(effectivePermissions(Role.Admin, []).has(Permission.WebhookManage)).toBe(true);
    expect(effectivePermissions(Role.ReadOnly, [Permission.ReadAll]).has(Permission.AuditLogRead)).toBe(false);
  });
});
