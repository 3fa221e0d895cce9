import { Pagination } from '../pagination/pagination';

/** Success shape of seeds 000/001: `{ status: true, message, data, pagination? }`. */
export interface StandardEnvelope<T> {
  status: true;
  message: string;
  data: T;
  pagination?: Pagination;
}

export interface StandardErrorEnvelope {
  status: false;
  message: string;
  errors: string[];
  errorId?: string;
}

export function ok<T>(message: string, data: T): StandardEnvelope<T> {
  return { status: true, message, data };
}

export function okPage<T>(message: string, data: T[], pagination: Pagination): StandardEnvelope<T[]> {
  return { status: true, message, data, pagination };
}
