// "did you mean" for misspelled keys and names: edit distance plus the keepalived
// spellings an operator migrating by hand is likely to type.

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// keepalived.conf words → our keys (only where the spelling differs a lot)
const KEEPALIVED_NAMES: Record<string, string> = {
  virtual_router_id: 'vrid',
  virtual_ipaddress: 'virtual_ips',
  virtual_ipaddress_excluded: 'virtual_ips',
  advert_int: 'advert_interval',
  track_interface: 'track_interfaces',
  track_script: 'track_scripts',
  nopreempt: 'preempt',
  authentication: 'auth_pass',
  notify_master: 'notify',
  notify_backup: 'notify',
  notify_fault: 'notify',
  notify_stop: 'notify',
  script: 'command',
  lb_algo: 'scheduler',
  lb_kind: 'forwarding',
  delay_loop: 'interval',
  nb_get_retry: 'retry',
  delay_before_retry: 'retry_delay',
  status_code: 'status',
  url: 'path',
  real_server: 'real_servers',
  one_packet: 'ops',
  garp_master_repeat: 'garp',
  garp_master_delay: 'garp',
  garp_master_refresh: 'garp',
  inhibit: 'inhibit_on_failure',
  virtual_server: 'virtual_servers',
  vrrp_instance: 'vrrp_instances',
  vrrp_script: 'vrrp_scripts',
  vrrp_sync_group: 'vrrp_sync_groups',
  global_defs: 'global',
  group: 'instances',
};

/** The closest candidate, or undefined when nothing is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const alias = KEEPALIVED_NAMES[word];
  if (alias && candidates.includes(alias)) return alias;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const dist = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.min(word.length, best.length) / 3));
  return bestDist <= limit ? best : undefined;
}

/** `; did you mean 'x'?` or an empty string. */
export function suggestionSuffix(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : `; did you mean '${s}'?`;
}
