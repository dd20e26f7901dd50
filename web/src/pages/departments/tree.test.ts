import { describe, expect, it } from "vitest";

import type { Department } from "../../lib/queries";
import { ancestorsOf, buildTree } from "./tree";

function dept(id: string, name: string, parent_id: string | null = null): Department {
  return { id, name, parent_id, description: null, created_at: "", updated_at: "" };
}

describe("buildTree", () => {
  it("nests children under parents, sorted by name, and keeps orphans as roots", () => {
    const tree = buildTree([
      dept("s", "Sales"),
      dept("e", "Engineering"),
      dept("w", "Web", "e"),
      dept("a", "API", "e"),
      dept("o", "Orphan", "gone"),
    ]);
    expect(tree.map((n) => n.department.name)).toEqual(["Engineering", "Orphan", "Sales"]);
    expect(tree[0]?.children.map((n) => n.department.name)).toEqual(["API", "Web"]);
  });

  it("finds the ancestors nearest first and stops on a loop", () => {
    const all = [dept("a", "A"), dept("b", "B", "a"), dept("c", "C", "b")];
    expect(ancestorsOf(all, "c")).toEqual(["b", "a"]);
    expect(ancestorsOf([dept("x", "X", "y"), dept("y", "Y", "x")], "x")).toEqual(["y", "x"]);
  });
});
