// The documents list's state in the URL and the API query it becomes: searched by words
// (`q`) or by meaning (`semantic`, ranked by the server, so no sort).
import { ApiError } from "../../api/errors";
import { addDays } from "../../lib/format";
import { isCategory, type Category } from "./categories";

export const EXPIRING = ["30", "60", "90"] as const;
export type ExpiringDays = (typeof EXPIRING)[number];

export type SearchMode = "words" | "meaning";

/** The search mode the URL asks for (`mode=meaning`); words otherwise. */
export function searchMode(filters: Record<string, string>): SearchMode {
  return filters.mode === "meaning" ? "meaning" : "words";
}

export function expiringDays(filters: Record<string, string>): ExpiringDays | null {
  return EXPIRING.find((d) => d === filters.expiring) ?? null;
}

export interface DocumentsQuery {
  page: number;
  page_size: number;
  sort: string | null;
  q: string | null;
  semantic: string | null;
  employee_id: string | null;
  category: Category | null;
  expiring_before: string | null;
}

/** The API query of the list state in `mode`: the search text goes as `q` (words) or as
 * `semantic` (meaning, where the server's ranking replaces the sort, so none is sent);
 * `today` is YYYY-MM-DD. */
export function documentsQuery(
  list: { page: number; pageSize: number; sort: string | null; filters: Record<string, string> },
  mode: SearchMode,
  today: string,
): DocumentsQuery {
  const { filters } = list;
  const text = filters.q?.trim() || null;
  const meaning = mode === "meaning";
  const days = expiringDays(filters);
  return {
    page: list.page,
    page_size: list.pageSize,
    sort: meaning ? null : list.sort,
    q: meaning ? null : text,
    semantic: meaning ? text : null,
    employee_id: filters.employee_id ?? null,
    category: isCategory(filters.category) ? filters.category : null,
    expiring_before: days === null ? null : addDays(today, Number(days)),
  };
}

/** The server answered that search by meaning is off on this installation. */
export function isSemanticOff(error: unknown): boolean {
  return error instanceof ApiError && error.status === 422 && error.code === "semantic_search_off";
}
