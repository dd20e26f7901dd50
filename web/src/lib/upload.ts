// Uploads with a real progress bar: XMLHttpRequest (fetch has no upload progress), a
// multipart/form-data body, the in-memory access token, one refresh and retry on 401.
// Every answer that is not 2xx becomes an ApiError; `describeUploadError` says a refused
// size (413) or type (415) in words.
import type { TFunction } from "i18next";

import { ApiError, networkError, toApiError } from "../api/errors";
import { refresh, session } from "../auth/session";
import { describeError } from "../components/ErrorMessage";

export interface UploadOptions {
  /** Called with the fraction sent so far (0..1). */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const at = line.indexOf(":");
    if (at <= 0) continue;
    try {
      headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
    } catch {
      // A header the Headers class refuses is of no use here.
    }
  }
  return headers;
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function send(url: string, form: FormData, options: UploadOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    const token = session.token;
    if (token !== null) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      resolve({
        status: xhr.status,
        body: parseBody(xhr.responseText),
        headers: parseHeaders(xhr.getAllResponseHeaders()),
      });
    };
    xhr.onerror = () => {
      reject(networkError(new Error("upload failed")));
    };
    xhr.onabort = () => {
      reject(new DOMException("The upload was cancelled", "AbortError"));
    };
    if (options.signal) {
      if (options.signal.aborted) {
        reject(new DOMException("The upload was cancelled", "AbortError"));
        return;
      }
      options.signal.addEventListener("abort", () => {
        xhr.abort();
      });
    }
    xhr.send(form);
  });
}

/** The ApiError of an upload's answer that was not 2xx. */
export function uploadError(answer: Answer): ApiError {
  const response = new Response(null, {
    status: answer.status,
    statusText: "",
    headers: answer.headers,
  });
  return toApiError(response, answer.body);
}

/** POST `form` to `url` as multipart/form-data; the created record's JSON, or an ApiError. */
export async function upload<T>(url: string, form: FormData, options: UploadOptions = {}): Promise<T> {
  let answer = await send(url, form, options);
  if (answer.status === 401 && (await refresh())) {
    options.onProgress?.(0);
    answer = await send(url, form, options);
  }
  if (answer.status >= 200 && answer.status < 300) return answer.body as T;
  throw uploadError(answer);
}

/** The size limit in MB a 413 problem names: the storage's "… the upload limit of 25 MB …",
 * or the server's body check "… the limit of 26476544 bytes" (the file limit plus a
 * little room for the form's other fields, so whole MiB are the file's limit). */
export function limitMegabytes(detail: string): number | null {
  const mb = /(\d+(?:[.,]\d+)?)\s*MB\b/i.exec(detail);
  if (mb?.[1] !== undefined) return Number(mb[1].replace(",", "."));
  const bytes = /(\d+)\s*bytes\b/i.exec(detail);
  if (bytes?.[1] === undefined) return null;
  const whole = Math.floor(Number(bytes[1]) / (1024 * 1024));
  return whole >= 1 ? whole : null;
}

/** What to tell a user whose upload failed, in words. */
export function describeUploadError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.status === 413) {
      const limit = limitMegabytes(error.message);
      return limit === null ? t("documents.upload.tooLargeUnknown") : t("documents.upload.tooLarge", { limit });
    }
    if (error.status === 415) {
      return t("documents.upload.typeNotAllowed", { detail: error.message });
    }
  }
  return describeError(error, t);
}
