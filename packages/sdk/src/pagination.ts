// Lists: `for await (const item of pik.accounts.list())` walks every page (following next_cursor); `.page()` reads one.

/** The API's list envelope. */
export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** One page, and the way to the next. */
export interface Page<T> extends ListEnvelope<T> {
  /** The following page, or null when this is the last. */
  nextPage(): Promise<Page<T> | null>;
}

export type FetchPage<T> = (cursor: string | undefined) => Promise<ListEnvelope<T>>;

export class List<T> implements AsyncIterable<T> {
  readonly #fetchPage: FetchPage<T>;
  readonly #cursor: string | undefined;

  constructor(fetchPage: FetchPage<T>, cursor?: string) {
    this.#fetchPage = fetchPage;
    this.#cursor = cursor;
  }

  /** The first page (or the page at the cursor given to list()). */
  async page(): Promise<Page<T>> {
    return this.#pageAt(this.#cursor);
  }

  async #pageAt(cursor: string | undefined): Promise<Page<T>> {
    const envelope = await this.#fetchPage(cursor);
    const next = envelope.next_cursor;
    return Object.assign(envelope, { nextPage: async () => (next === null ? null : this.#pageAt(next)) });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page: Page<T> | null = await this.page();
    while (page) {
      yield* page.data;
      page = await page.nextPage();
    }
  }

  /** Every item, page after page; `max` stops early. */
  async toArray(options: { max?: number } = {}): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) {
      if (options.max !== undefined && items.length >= options.max) break;
      items.push(item);
    }
    return items;
  }
}
