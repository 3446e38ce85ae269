/**
 * Page-numbered lists (`?page=` from 1, `?limit=`; the body is `{data: [...], meta}`).
 *
 * A list method returns a `PagePromise` (an `APIPromise`: `.withResponse()` and `.asResponse()`
 * work as on any call): `await` it for one `Page` (`{ data, meta }`, and `_request_id`), or
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
import { APIPromise, withRequestId, type Sent } from './api-promise.js';
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
  /** The `X-Request-ID` of this page's response (non-enumerable). */
  declare readonly _request_id?: string | undefined;
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
    const asked = count(queryValue(this.#request.spec, this.#request.pageParam));
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
    const limit = count(this.#rawMeta['limit']) ?? count(queryValue(this.#request.spec, this.#request.limitParam));
    if (limit === undefined || limit === 0) return false;
    const total = count(this.#rawMeta['total']);
    if (total !== undefined) return this.pageNumber * limit < total;
    return this.data.length >= limit;
  }

  /** Fetch the page after this one (check `hasNextPage()` first). */
  async getNextPage(): Promise<Page<T, M>> {
    if (!this.#fetch) throw new Error('this page cannot fetch the next one');
    const { pageParam } = this.#request;
    const query = (this.#request.spec.query ?? []).filter((q) => q.name !== pageParam);
    const spec = { ...this.#request.spec, query: [...query, { name: pageParam, value: this.pageNumber + 1 }] };
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

/** The value of the query parameter `name` of a request, when it has one. */
function queryValue(spec: RequestSpec, name: string): unknown {
  return spec.query?.find((q) => q.name === name)?.value;
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

export class PagePromise<T, M> extends APIPromise<Page<T, M>> implements AsyncIterable<T> {
  /**
   * @internal `fetchPage(request, raw)` sends one page's request; `parsePage` reads its response
   * into a `Page` (with its request id).
   */
  constructor(
    request: PageRequest<T, M>,
    fetchPage: (request: PageRequest<T, M>, raw: boolean) => Promise<Sent>,
    parsePage: (request: PageRequest<T, M>, sent: Sent) => Page<T, M>,
  ) {
    const read = (next: PageRequest<T, M>, sent: Sent): Page<T, M> => {
      const page = parsePage(next, sent).withFetcher((after) => fetchPage(after, false).then((s) => read(after, s)));
      return withRequestId(page, sent.response);
    };
    super((raw) => fetchPage(request, raw), (sent) => read(request, sent));
  }

  override get [Symbol.toStringTag](): string {
    return 'PagePromise';
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const first = await this;
    yield* first;
  }
}
