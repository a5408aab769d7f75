// A tiny JSON client for real server processes (tests and benchmarks): one call, status and parsed body back.

export interface JsonResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- callers assert on arbitrary JSON
}

export async function callJson(base: string, method: string, url: string, token: string, body?: unknown): Promise<JsonResult> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Like callJson, but a non-2xx answer is an error: for set-up steps that must succeed. */
export async function callJsonOk(base: string, method: string, url: string, token: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const result = await callJson(base, method, url, token, body);
  if (result.status >= 300) throw new Error(`${method} ${url}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}
