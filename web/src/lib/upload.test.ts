import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/errors";
import i18n from "../i18n";
import { describeUploadError, limitMegabytes, upload } from "./upload";

const refresh = vi.fn<() => Promise<boolean>>();
let token: string | null = "first";
vi.mock("../auth/session", () => ({
  refresh: () => refresh(),
  session: {
    get token() {
      return token;
    },
  },
}));

interface Reply {
  status: number;
  body?: unknown;
  headers?: string;
  network?: boolean;
}

/** A stand-in XMLHttpRequest that answers each send with the next reply. */
class FakeXhr {
  static replies: Reply[] = [];
  static sent: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
  upload: { onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = "";
  private method = "";
  private url = "";
  private headers: Record<string, string> = {};
  private responseHeaders = "";
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getAllResponseHeaders() {
    return this.responseHeaders;
  }
  abort() {
    this.onabort?.();
  }
  send(body: unknown) {
    FakeXhr.sent.push({ method: this.method, url: this.url, headers: { ...this.headers }, body });
    const reply = FakeXhr.replies.shift();
    if (reply === undefined) throw new Error("no reply queued");
    queueMicrotask(() => {
      this.upload.onprogress?.({ lengthComputable: true, loaded: 50, total: 100 });
      this.upload.onprogress?.({ lengthComputable: true, loaded: 100, total: 100 });
      if (reply.network) {
        this.onerror?.();
        return;
      }
      this.status = reply.status;
      this.responseText = reply.body === undefined ? "" : JSON.stringify(reply.body);
      this.responseHeaders = reply.headers ?? "content-type: application/problem+json\r\n";
      this.onload?.();
    });
  }
}

const t = i18n.getFixedT("en");

function problem(status: number, detail: string, extra: Record<string, unknown> = {}) {
  return { status, body: { type: "about:blank", title: "x", status, detail, ...extra } };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("the upload did not fail");
}

beforeEach(() => {
  FakeXhr.replies = [];
  FakeXhr.sent = [];
  token = "first";
  refresh.mockReset();
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("upload", () => {
  it("posts the form with the token and reports progress", async () => {
    FakeXhr.replies.push({ status: 201, body: { id: "d1", title: "Contract" } });
    const form = new FormData();
    const progress: number[] = [];
    const created = await upload<{ id: string }>("/api/v1/documents", form, { onProgress: (f) => progress.push(f) });
    expect(created).toEqual({ id: "d1", title: "Contract" });
    expect(FakeXhr.sent[0]).toMatchObject({
      method: "POST",
      url: "/api/v1/documents",
      headers: { Authorization: "Bearer first" },
    });
    expect(FakeXhr.sent[0]?.body).toBe(form);
    expect(progress).toEqual([0.5, 1]);
  });

  it("refreshes once on 401 and retries with the new token", async () => {
    FakeXhr.replies.push(problem(401, "expired"), { status: 201, body: { id: "d2" } });
    refresh.mockImplementation(() => {
      token = "second";
      return Promise.resolve(true);
    });
    await expect(upload("/api/v1/documents", new FormData())).resolves.toEqual({ id: "d2" });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(FakeXhr.sent.map((s) => s.headers.Authorization)).toEqual(["Bearer first", "Bearer second"]);
  });

  it("gives up with the 401 when the session cannot be refreshed", async () => {
    FakeXhr.replies.push(problem(401, "Sign in again"));
    refresh.mockResolvedValue(false);
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(error.status).toBe(401);
    expect(FakeXhr.sent).toHaveLength(1);
  });

  it("maps 413 to the limit the problem names", async () => {
    FakeXhr.replies.push(
      problem(413, "The file exceeds the upload limit of 25 MB; nothing was stored", { code: "file_too_large" }),
    );
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(error.status).toBe(413);
    expect(error.code).toBe("file_too_large");
    expect(describeUploadError(error, t)).toBe("The file is larger than the limit of 25 MB.");
  });

  it("maps the server's body-size 413 to the file limit in MB", async () => {
    FakeXhr.replies.push(problem(413, "The request body exceeds the limit of 26476544 bytes", { code: "body_too_large" }));
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(describeUploadError(error, t)).toBe("The file is larger than the limit of 25 MB.");
  });

  it("says 413 in words even without a problem body (a proxy's answer)", async () => {
    FakeXhr.replies.push({ status: 413, headers: "content-type: text/html\r\n" });
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(describeUploadError(error, t)).toBe("The file is larger than the upload limit.");
  });

  it("maps 415 to the type refusal with the API's reason", async () => {
    const detail = "The file is a Windows executable; allowed: PDF, PNG, JPEG, DOCX, XLSX, plain text (UTF-8) and CSV";
    FakeXhr.replies.push(problem(415, detail, { code: "file_type_not_allowed" }));
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(describeUploadError(error, t)).toBe(`This file type is not allowed: ${detail}`);
  });

  it("keeps 422 field errors for the form", async () => {
    FakeXhr.replies.push(
      problem(422, "Invalid input", {
        errors: [
          { field: "category", location: "body", message: "Input should be 'contract', …" },
          { field: "expires_on", location: "body", message: "Input should be a valid date" },
        ],
      }),
    );
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(error.fields).toEqual({
      category: "Input should be 'contract', …",
      expires_on: "Input should be a valid date",
    });
  });

  it("passes other refusals through in the API's words", async () => {
    FakeXhr.replies.push(problem(403, "Employees upload only identity, certificate and other documents"));
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(describeUploadError(error, t)).toBe("Employees upload only identity, certificate and other documents");
  });

  it("turns a failed connection into a network error", async () => {
    FakeXhr.replies.push({ status: 0, network: true });
    const error = await failure(upload("/api/v1/documents", new FormData()));
    expect(error.status).toBe(0);
    expect(describeUploadError(error, t)).toBe(t("common.networkError"));
  });
});

describe("limitMegabytes", () => {
  it("reads the limit from the detail", () => {
    expect(limitMegabytes("The file exceeds the upload limit of 100 MB; nothing was stored")).toBe(100);
    expect(limitMegabytes("The request body exceeds the limit of 1310720 bytes")).toBe(1);
    expect(limitMegabytes("The request body exceeds the limit of 52690944 bytes")).toBe(50);
    expect(limitMegabytes("The request body exceeds the limit of 1000 bytes")).toBeNull();
    expect(limitMegabytes("too large")).toBeNull();
  });
});
