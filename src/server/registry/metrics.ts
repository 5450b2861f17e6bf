/** Counters for /metrics, in Prometheus' text exposition format. */
export class Metrics {
  readonly #requests = new Map<string, number>();
  #bytesOut = 0;
  #bytesIn = 0;
  readonly #started = Date.now();

  request(method: string, status: number, bytesIn: number, bytesOut: number): void {
    const key = `method="${method}",code="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    this.#bytesIn += bytesIn;
    this.#bytesOut += bytesOut;
  }

  /** The exposition text; `gauges` are sampled by the caller (upload sessions, repositories …). */
  render(gauges: Record<string, { help: string; value: number }>): string {
    const lines: string[] = [
      '# HELP berth_registry_http_requests_total HTTP requests served, by method and status code.',
      '# TYPE berth_registry_http_requests_total counter',
    ];
    for (const [k, v] of [...this.#requests].sort()) lines.push(`berth_registry_http_requests_total{${k}} ${v}`);
    lines.push(
      '# HELP berth_registry_http_request_bytes_total Bytes received in request bodies.',
      '# TYPE berth_registry_http_request_bytes_total counter',
      `berth_registry_http_request_bytes_total ${this.#bytesIn}`,
      '# HELP berth_registry_http_response_bytes_total Bytes sent in response bodies.',
      '# TYPE berth_registry_http_response_bytes_total counter',
      `berth_registry_http_response_bytes_total ${this.#bytesOut}`,
      '# HELP berth_registry_start_time_seconds When the registry started.',
      '# TYPE berth_registry_start_time_seconds gauge',
      `berth_registry_start_time_seconds ${Math.floor(this.#started / 1000)}`,
    );
    for (const [name, g] of Object.entries(gauges)) lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
    return lines.join('\n') + '\n';
  }
}
