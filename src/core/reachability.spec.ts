import { maskUrl } from './reachability';

describe('maskUrl', () => {
  it('masks the password and keeps the rest, user name included', () => {
    expect(maskUrl('mongodb://app:s3cret@db:27017/whatsapp?authSource=admin')).toBe('mongodb://app:***@db:27017/whatsapp?authSource=admin');
    expect(maskUrl('mongodb+srv://app:p%40ss@cluster0.example.net/wa')).toBe('mongodb+srv://app:***@cluster0.example.net/wa');
    expect(maskUrl('redis://:hunter2@127.0.0.1:6379/0')).toBe('redis://:***@127.0.0.1:6379/0');
  });

  it('leaves URLs without a password as they are, several hosts too', () => {
    expect(maskUrl('mongodb://a:27017,b:27017/wa?replicaSet=rs0')).toBe('mongodb://a:27017,b:27017/wa?replicaSet=rs0');
    expect(maskUrl('redis://user@cache:6379')).toBe('redis://user@cache:6379');
  });
});
