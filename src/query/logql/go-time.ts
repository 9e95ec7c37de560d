/** Go time formatting for templates (`{{ __timestamp__ }}`, `{{ date "2006-01-02" __timestamp__ }}`), always UTC. */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Go's Time.String() in UTC: `2024-01-02 03:04:05.123456 +0000 UTC` (fraction without trailing zeros). */
export function goTimeString(us: number): string {
  const frac = fraction(us).replace(/0+$/, '');
  return `${formatGoTime('2006-01-02 15:04:05', us)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

function fraction(us: number): string {
  const f = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  return `${pad(f, 6)}000`;
}

// Longest first: `15` must win over `1`, `2006` over `2`.
const TOKENS = /2006|January|Jan|Monday|Mon|MST|Z07:00|-07:00|-0700|Z0700|\.0+|\.9+|,0+|,9+|01|02|03|04|05|06|15|_2|PM|pm|1|2|3|4|5/g;

/** Formats microseconds with a Go layout (reference time Mon Jan 2 15:04:05 MST 2006), in UTC. */
export function formatGoTime(layout: string, us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const h = d.getUTCHours();
  return layout.replace(TOKENS, (tok) => {
    switch (tok) {
      case '2006': return String(d.getUTCFullYear());
      case '06': return pad(d.getUTCFullYear() % 100);
      case 'January': return MONTHS[d.getUTCMonth()] as string;
      case 'Jan': return (MONTHS[d.getUTCMonth()] as string).slice(0, 3);
      case '01': return pad(d.getUTCMonth() + 1);
      case '1': return String(d.getUTCMonth() + 1);
      case 'Monday': return DAYS[d.getUTCDay()] as string;
      case 'Mon': return (DAYS[d.getUTCDay()] as string).slice(0, 3);
      case '02': return pad(d.getUTCDate());
      case '_2': return String(d.getUTCDate()).padStart(2, ' ');
      case '2': return String(d.getUTCDate());
      case '15': return pad(h);
      case '03': return pad(h % 12 === 0 ? 12 : h % 12);
      case '3': return String(h % 12 === 0 ? 12 : h % 12);
      case '04': return pad(d.getUTCMinutes());
      case '4': return String(d.getUTCMinutes());
      case '05': return pad(d.getUTCSeconds());
      case '5': return String(d.getUTCSeconds());
      case 'PM': return h >= 12 ? 'PM' : 'AM';
      case 'pm': return h >= 12 ? 'pm' : 'am';
      case 'MST': return 'UTC';
      case 'Z07:00': case 'Z0700': return 'Z';
      case '-07:00': return '+00:00';
      case '-0700': return '+0000';
      default: {
        const sep = tok[0] as string;
        const n = tok.length - 1;
        const digits = fraction(us).slice(0, n);
        if (tok[1] === '0') return sep + digits;
        const trimmed = digits.replace(/0+$/, '');
        return trimmed ? sep + trimmed : '';
      }
    }
  });
}
