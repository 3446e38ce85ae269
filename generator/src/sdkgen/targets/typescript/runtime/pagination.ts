/**
 * Page-numbered lists (`?page=` from 1, `?limit=`; the body is `{data: [...], meta}`).
 *
 * A list method returns a `PagePromise`: `await` it for one `Page` (`{ data, meta }`), or
 * iterate it with `for await` to get every item of every page, fetching pages as needed.
 * The next page exists while `meta.page < meta.pages` (API v2 says `pages`, older versions
 * `total_pages`: either is read); without a page count but with `total` and `limit`, while
 * `page * limit < total`; with neither, while pages come back full (as many items as `limit`,
 * the limit asked for when `meta` has none), stopping at the first short or empty page.
 *
 * A body without its `data` array is unusable: `APIResponseValidationError`, in both modes.
 * Every key of `meta`, and `meta` itself, may be absent; strict mode checks the items and the
 * meta that are there against the contract.
 */
import type { RequestSpec, ResponseContext } from './api-client.js';
import { APIResponseValidationError } from './errors.js';
import { describe, ShapeError } from './schema.js';

/** What a generated list method hands the core. */
export interface PageRequest<T, M> {
  spec: RequestSpec;
  pageParam: string;
  limitParam: string;
  itemsField: string;
  metaField: string;
  /** Read one item (`strict`: against the contract; throws `ShapeError`). */
  item: (wire: unknown, strict: boolean) => T;
  meta: (wire: unknown, strict: boolean) => M;
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

  static from<T, M>(request: PageRequest<T, M>, body: unknown, context: ResponseContext): Page<T, M> {
    const invalid = (path: string, reason: string) =>
      new APIResponseValidationError({ status: context.status, response: context.response, path, reason, body });
    if (!isObject(body)) throw invalid('$', `expected an object, got ${describe(body)}`);
    const items = body[request.itemsField];
    const itemsPath = `$.${request.itemsField}`;
    if (items === undefined) throw invalid(itemsPath, 'required field is missing');
    if (!Array.isArray(items)) throw invalid(itemsPath, `expected an array, got ${describe(items)}`);
    const metaPath = `$.${request.metaField}`;
    let rawMeta = body[request.metaField];
    if (!isObject(rawMeta)) {
      if (context.strict && rawMeta !== undefined) throw invalid(metaPath, `expected an object, got ${describe(rawMeta)}`);
      rawMeta = {};
    }
    let path = itemsPath;
    try {
      const data = items.map((item, i) => {
        path = `${itemsPath}[${i}]`;
        return request.item(item, context.strict);
      });
      path = metaPath;
      const meta = request.meta(rawMeta, context.strict);
      return new Page(request, data, meta, rawMeta as Record<string, unknown>);
    } catch (err) {
      if (err instanceof ShapeError) throw invalid(path + err.path.slice(1), err.reason);
      throw err;
    }
  }

  /** @internal */
  withFetcher(fetchPage: (next: PageRequest<T, M>) => Promise<Page<T, M>>): Page<T, M> {
    return new Page(this.#request, this.data, this.meta, this.#rawMeta, fetchPage);
  }

  /**
   * The number of the page this is: the one asked for, else the one `meta` names, else 1. The
   * asked number wins so that paging always moves forward, even past a server that reports
   * the wrong page.
   */
  get pageNumber(): number {
    const asked = count(this.#request.spec.query?.[this.#request.pageParam]);
    if (asked !== undefined && asked > 0) return asked;
    const page = count(this.#rawMeta['page']);
    return page !== undefined && page > 0 ? page : 1;
  }

  /** The number of pages of the whole list, when the API said (`pages`, or `total_pages`). */
  get pageCount(): number | undefined {
    for (const key of PAGE_COUNTS) {
      const value = this.#rawMeta[key];
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    }
    return undefined;
  }

  hasNextPage(): boolean {
    if (this.data.length === 0) return false;
    const pages = this.pageCount;
    if (pages !== undefined) return this.pageNumber < pages;
    const limit = count(this.#rawMeta['limit']) ?? count(this.#request.spec.query?.[this.#request.limitParam]);
    if (limit === undefined || limit === 0) return false;
    const total = count(this.#rawMeta['total']);
    if (total !== undefined) return this.pageNumber * limit < total;
    return this.data.length >= limit;
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

/** `value` when it is a non-negative integer. */
function count(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** The names of the page count in `meta`, in the order they are read. */
const PAGE_COUNTS = ['pages', 'total_pages'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
