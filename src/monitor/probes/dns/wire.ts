/**
 * A small DNS wire-format codec (RFC 1035, RFC 3596, RFC 2782): builds one query and decodes a
 * response into dig-style text records, which is what the dns probe's regexes match (the same
 * text miekg/dns gives blackbox_exporter: `example.com.\t300\tIN\tA\t192.0.2.1`).
 */

export const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 };
const TYPE_NAMES = new Map(Object.entries(TYPES).map(([k, v]) => [v, k]));
const CLASS_NAMES = new Map([[1, 'IN'], [3, 'CH'], [4, 'HS']]);
export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** Presentation form of the data: `192.0.2.1`, `10 mx.example.com.`, `"txt" "parts"`. */
  data: string;
  /** The whole record as dig prints it. */
  text: string;
}

export interface DnsMessage {
  id: number;
  rcode: number;
  truncated: boolean;
  answer: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

/** The rcode's name (`NXDOMAIN`) or its number as text. */
export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? String(rcode);
}

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label === '') continue;
    const b = Buffer.from(label, 'utf8');
    if (b.length > 63) throw new Error(`label "${label}" is longer than 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`name "${name}" is longer than 255 bytes`);
  return out;
}

/** One question, RD as asked, class IN. Throws on a name DNS cannot carry. */
export function encodeQuery(id: number, name: string, type: number, recursionDesired = true): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(recursionDesired ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

class Reader {
  constructor(readonly buf: Buffer, public pos = 0) {}
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new Error(`truncated ${what} at byte ${this.pos}`);
  }
  u8(what: string): number { this.need(1, what); return this.buf.readUInt8(this.pos++); }
  u16(what: string): number { this.need(2, what); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }

  /** A possibly compressed name, as `a.b.` (root is `.`). Pointer loops are rejected. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let hops = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new Error(`truncated name at byte ${pos}`);
      const len = this.buf[pos] as number;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new Error(`truncated name pointer at byte ${pos}`);
        if (++hops > 64) throw new Error(`name compression loop at byte ${pos}`);
        const target = ((len & 0x3f) << 8) | (this.buf[pos + 1] as number);
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len & 0xc0) throw new Error(`bad label type at byte ${pos}`);
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new Error(`truncated label at byte ${pos}`);
      labels.push(this.buf.toString('latin1', pos + 1, pos + 1 + len).replace(/[.\\]/g, (c) => `\\${c}`));
      pos += 1 + len;
    }
    return labels.length === 0 ? '.' : `${labels.join('.')}.`;
  }
}

function rdataText(r: Reader, type: number, end: number): string {
  const b = r.buf;
  switch (type) {
    case 1:
      if (end - r.pos !== 4) break;
      return `${b[r.pos]}.${b[r.pos + 1]}.${b[r.pos + 2]}.${b[r.pos + 3]}`;
    case 28: {
      if (end - r.pos !== 16) break;
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(r.pos + i).toString(16));
      // RFC 5952: the longest run (>1) of zero groups becomes `::`.
      let best = -1; let bestLen = 0;
      for (let i = 0; i < 8;) {
        if (groups[i] !== '0') { i++; continue; }
        let j = i; while (j < 8 && groups[j] === '0') j++;
        if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
        i = j;
      }
      if (best < 0) return groups.join(':');
      return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
    }
    case 2: case 5: case 12: return r.name();
    case 15: { const pref = r.u16('MX preference'); return `${pref} ${r.name()}`; }
    case 33: {
      const prio = r.u16('SRV priority'); const weight = r.u16('SRV weight'); const port = r.u16('SRV port');
      return `${prio} ${weight} ${port} ${r.name()}`;
    }
    case 6: {
      const mname = r.name(); const rname = r.name();
      const nums = [r.u32('SOA serial'), r.u32('SOA refresh'), r.u32('SOA retry'), r.u32('SOA expire'), r.u32('SOA minimum')];
      return `${mname} ${rname} ${nums.join(' ')}`;
    }
    case 16: {
      const parts: string[] = [];
      let p = r.pos;
      while (p < end) {
        const len = b[p] as number;
        if (p + 1 + len > end) throw new Error(`truncated TXT string at byte ${p}`);
        parts.push(JSON.stringify(b.toString('utf8', p + 1, p + 1 + len)));
        p += 1 + len;
      }
      return parts.join(' ');
    }
  }
  // RFC 3597 generic form for everything else.
  return `\\# ${end - r.pos} ${b.toString('hex', r.pos, end)}`.trimEnd();
}

function record(r: Reader): DnsRecord {
  const name = r.name();
  const type = r.u16('record type');
  const cls = r.u16('record class');
  const ttl = r.u32('record ttl');
  const len = r.u16('record length');
  r.need(len, 'record data');
  const end = r.pos + len;
  const data = rdataText(r, type, end);
  r.pos = end;
  const typeName = TYPE_NAMES.get(type) ?? `TYPE${type}`;
  const className = CLASS_NAMES.get(cls) ?? `CLASS${cls}`;
  return { name, type, ttl, data, text: `${name}\t${ttl}\t${className}\t${typeName}\t${data}` };
}

/** Decodes a response; throws `truncated record data at byte 57`-style errors on bad input. */
export function decodeMessage(buf: Buffer): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16('header');
  const flags = r.u16('header');
  const counts = [r.u16('header'), r.u16('header'), r.u16('header'), r.u16('header')] as const;
  for (let i = 0; i < counts[0]; i++) { r.name(); r.u16('question'); r.u16('question'); }
  const section = (n: number): DnsRecord[] => { const out: DnsRecord[] = []; for (let i = 0; i < n; i++) out.push(record(r)); return out; };
  const answer = section(counts[1]);
  const authority = section(counts[2]);
  const additional = section(counts[3]);
  return { id, rcode: flags & 0x0f, truncated: (flags & 0x0200) !== 0, answer, authority, additional };
}
