/**
 * Page-numbered lists (`?page=` from 1, `?limit=`; the body is `{data: [...], meta}`).
 *
 * A list method returns a `PagePromise`: `await` it for one `Page` (`{ data, meta }`), or
 * iterate it with `for await` to get every item of every page, fetching pages as needed.
 * The next page exists while `meta.page < meta.total_pages` (when the API sends them), else
 * while pages come back full.
 */
import type { RequestSpec } from './api-client.js';

/** What a generated list method hands the core. */
export interface PageRequest<T, M> {
  spec: RequestSpec;
  pageParam: string;
  limitParam: string;
  itemsField: string;
  metaField: string;
  item: (wire: unknown) => T;
  meta: (wire: unknown) => M;
}

export class Page<T, M> implements AsyncIterable<T> {
  /** The items of this page. */
  readonly data: T[];
  /** The page information, as the API sent it. */
  readonly meta: M;
  readonly #request: PageRequest<T, M>;
  readonly #rawMeta: Record<string, unknown>;
  readonly #fetch: ((next: PageRequest<T, M>) => Promise<Page<T, M>>) | undefined;

  constructor(request: PageRequest<T, M>, data: T[], meta: M, rawMeta: Record<string, unknown>, fetchPage?: (next: PageRequest<T, M>) => Promise<Page<T, M>>) {
    this.#request = request;
    this.data = data;
    this.meta = meta;
    this.#rawMeta = rawMeta;
    this.#fetch = fetchPage;
  }

  static from<T, M>(request: PageRequest<T, M>, body: unknown): Page<T, M> {
    const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const items = Array.isArray(obj[request.itemsField]) ? (obj[request.itemsField] as unknown[]) : [];
    const rawMeta = (typeof obj[request.metaField] === 'object' && obj[request.metaField] !== null ? obj[request.metaField] : {}) as Record<string, unknown>;
    return new Page(request, items.map(request.item), request.meta(rawMeta), rawMeta);
  }

  /** @internal */
  withFetcher(fetchPage: (next: PageRequest<T, M>) => Promise<Page<T, M>>): Page<T, M> {
    return new Page(this.#request, this.data, this.meta, this.#rawMeta, fetchPage);
  }

  /** The number of the page this is. */
  get pageNumber(): number {
    const asked = Number(this.#request.spec.query?.[this.#request.pageParam]);
    const page = Number(this.#rawMeta['page']);
    return Number.isInteger(page) && page > 0 ? page : Number.isInteger(asked) && asked > 0 ? asked : 1;
  }

  hasNextPage(): boolean {
    if (this.data.length === 0) return false;
    const total = Number(this.#rawMeta['total_pages']);
    if (Number.isInteger(total)) return this.pageNumber < total;
    const limit = Number(this.#rawMeta['limit'] ?? this.#request.spec.query?.[this.#request.limitParam]);
    return Number.isInteger(limit) && this.data.length >= limit;
  }

  /** Fetch the page after this one (check `hasNextPage()` first). */
  async getNextPage(): Promise<Page<T, M>> {
    if (!this.#fetch) throw new Error('this page cannot fetch the next one');
    const spec = { ...this.#request.spec, query: { ...this.#request.spec.query, [this.#request.pageParam]: this.pageNumber + 1 } };
    return this.#fetch({ ...this.#request, spec });
  }

  /** Every page from this one on. */
  async *iterPages(): AsyncGenerator<Page<T, M>, void, undefined> {
    let page: Page<T, M> = this;
    for (;;) {
      yield page;
      if (!page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }

  /** Every item from this page on. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.iterPages()) yield* page.data;
  }
}

export class PagePromise<T, M> implements PromiseLike<Page<T, M>>, AsyncIterable<T> {
  readonly #page: Promise<Page<T, M>>;

  constructor(first: Promise<Page<T, M>>, fetchPage: (next: PageRequest<T, M>) => Promise<Page<T, M>>) {
    const attach = (p: Page<T, M>): Page<T, M> => p.withFetcher((next) => fetchPage(next).then(attach));
    this.#page = first.then(attach);
    // A caller that only iterates still sees the error; this keeps Node from reporting
    // an unhandled rejection before the caller gets to it.
    this.#page.catch(() => undefined);
  }

  then<R1 = Page<T, M>, R2 = never>(
    onfulfilled?: ((value: Page<T, M>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#page.then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<T, M> | R> {
    return this.#page.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<T, M>> {
    return this.#page.finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return 'PagePromise';
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const first = await this.#page;
    yield* first;
  }
}
