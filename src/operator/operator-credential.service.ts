import { BadRequestException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { Types } from 'mongoose';
import { generateSecret, hashSecret, parseApiKey, secretMatches } from '../auth/secrets';
import { Clock } from '../core/clock';
import { OperatorCredentialRepository } from './operator-credential.repository';
import type { OperatorCredentialRecord } from './operator-credential.schema';

/** `wop_<24 hex id>_<43 base64url secret>`: unlike a tenant key (`wak_…`) at a glance. */
const OPERATOR_CREDENTIAL_PATTERN = /^wop_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export interface IssuedOperatorCredential {
  id: string;
  name: string;
  expires_at: Date | null;
  /** Shown once; only its hash is stored. */
  credential: string;
}

export interface OperatorCredentialSummary {
  id: string;
  name: string;
  expires_at: Date | null;
  expired: boolean;
  revoked_at: Date | null;
  createdAt: Date;
}

/** The operator who authenticated a request. */
export interface OperatorPrincipal {
  operatorId: string;
  name: string;
}

/** Operator credentials: issued, listed and revoked from the CLI; checked by the dashboard and /metrics. */
@Injectable()
export class OperatorCredentialService {
  constructor(
    private readonly credentials: OperatorCredentialRepository,
    private readonly clock: Clock,
  ) {}

  async issue(name: string, expiresAt: Date | null = null): Promise<IssuedOperatorCredential> {
    if (!name.trim()) throw new BadRequestException('An operator credential needs a name');
    if (expiresAt && expiresAt.getTime() <= this.clock.now().getTime()) throw new BadRequestException('A credential cannot expire in the past');
    const id = new Types.ObjectId();
    const secret = generateSecret();
    await this.credentials.create({ id, name: name.trim(), secretHash: hashSecret(secret), expiresAt });
    return { id: id.toHexString(), name: name.trim(), expires_at: expiresAt, credential: `wop_${id.toHexString()}_${secret}` };
  }

  async list(): Promise<OperatorCredentialSummary[]> {
    const now = this.clock.now();
    return (await this.credentials.list()).map((credential) => summarize(credential, now));
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.credentials.revoke(id, this.clock.now()))) throw new NotFoundException(`No active operator credential with id ${id}`);
  }

  /**
   * The operator a presented credential belongs to, or a 401 saying what is wrong. A tenant's API
   * key is named as such: it is valid elsewhere, never here, whatever its role.
   */
  async authenticate(presented: string | null): Promise<OperatorPrincipal> {
    if (!presented) throw new UnauthorizedException('Missing operator credential: send it as "Authorization: Bearer <credential>" or as the Basic password');
    if (parseApiKey(presented)) {
      throw new UnauthorizedException("This is a tenant's API key; only an operator credential opens this (create one with `npm run cli -- operator:create`)");
    }
    const match = OPERATOR_CREDENTIAL_PATTERN.exec(presented);
    const record = match ? await this.credentials.findById(match[1]) : null;
    if (!match || !record || !secretMatches(match[2], record.secret_hash)) throw new UnauthorizedException('Invalid operator credential');
    if (record.revoked_at) throw new UnauthorizedException('This operator credential has been revoked');
    if (record.expires_at && record.expires_at.getTime() <= this.clock.now().getTime()) {
      throw new UnauthorizedException(`This operator credential expired on ${record.expires_at.toISOString()}`);
    }
    return { operatorId: record._id.toHexString(), name: record.name };
  }
}

function summarize(credential: OperatorCredentialRecord, now: Date): OperatorCredentialSummary {
  return {
    id: credential._id.toHexString(),
    name: credential.name,
    expires_at: credential.expires_at,
    expired: credential.expires_at !== null && credential.expires_at.getTime() <= now.getTime(),
    revoked_at: credential.revoked_at,
    createdAt: credential.createdAt,
  };
}
