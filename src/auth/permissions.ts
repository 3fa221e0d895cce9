/** What a key may do. Endpoints declare one with `@RequirePermission(...)`. */
export enum Permission {
  AttachmentRead = 'attachment:read',
  AttachmentWrite = 'attachment:write',
  BroadcastRead = 'broadcast:read',
  BroadcastWrite = 'broadcast:write',
  ContactRead = 'contact:read',
  ContactWrite = 'contact:write',
  MessageLogRead = 'message-log:read',
  MessageSend = 'message:send',
  TemplateRead = 'template:read',
  /** Create and delete message templates (at Meta, for cloud-api sessions), and move sandbox ones between statuses. */
  TemplateManage = 'template:manage',
  WhatsappLogRead = 'whatsapp-log:read',
  /** Create sending sessions through the API. */
  SessionManage = 'session:manage',
  /** Register event webhook endpoints, see their deliveries and redeliver (their secrets sign every event). */
  WebhookManage = 'webhook:manage',
  /** Issue, list, rotate and revoke the client's API keys over HTTP (owners by default). */
  KeysManage = 'keys:manage',
  /** Read the client's audit log (owners by default; not part of read:all). */
  AuditLogRead = 'audit-log:read',
  /** "Read All Project Resources" of seed 002: every `*:read` permission but the audit log's. */
  ReadAll = 'read:all',
}

export enum Role {
  Owner = 'owner',
  Admin = 'admin',
  Member = 'member',
  ReadOnly = 'read-only',
}

export const ROLES = Object.values(Role);

/** Higher ranks hold more: a key may never give another a role above its own. */
export const ROLE_RANK: Record<Role, number> = { [Role.Owner]: 3, [Role.Admin]: 2, [Role.Member]: 1, [Role.ReadOnly]: 0 };

/** What only owners hold by role: who holds the keys, and who reads what everyone did. */
const OWNER_ONLY: readonly Permission[] = [Permission.KeysManage, Permission.AuditLogRead];
export const PERMISSIONS = Object.values(Permission);

const READS = [
  Permission.AttachmentRead,
  Permission.BroadcastRead,
  Permission.ContactRead,
  Permission.MessageLogRead,
  Permission.TemplateRead,
];
const WRITES = [Permission.AttachmentWrite, Permission.BroadcastWrite, Permission.ContactWrite, Permission.MessageSend];

/**
 * Seed 002 lets owners, admins and members read WhatsApp logs, but not a plain read-only
 * key: that one needs the extra `whatsapp-log:read` or `read:all` permission.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  [Role.Owner]: [...PERMISSIONS],
  [Role.Admin]: PERMISSIONS.filter((permission) => !OWNER_ONLY.includes(permission)),
  [Role.Member]: [...READS, ...WRITES, Permission.WhatsappLogRead],
  [Role.ReadOnly]: READS,
};

/** The effective permissions of a key: its role's plus its extra ones, with `read:all` expanded. */
export function effectivePermissions(role: Role, extra: readonly Permission[]): Set<Permission> {
  const granted = new Set<Permission>([...ROLE_PERMISSIONS[role], ...extra]);
  if (granted.has(Permission.ReadAll)) {
    for (const permission of PERMISSIONS) if (permission.endsWith(':read') && !OWNER_ONLY.includes(permission)) granted.add(permission);
  }
  return granted;
}
