// The department list as a tree (parents before children, siblings by name).
import type { Department } from "../../lib/queries";

export interface DepartmentNode {
  department: Department;
  children: DepartmentNode[];
}

/** Roots and their descendants. A department whose parent the caller cannot see (or that
 * does not exist) is shown as a root rather than lost. */
export function buildTree(departments: Department[]): DepartmentNode[] {
  const nodes = new Map<string, DepartmentNode>();
  for (const department of departments) nodes.set(department.id, { department, children: [] });
  const roots: DepartmentNode[] = [];
  for (const node of nodes.values()) {
    const parentId = node.department.parent_id;
    const parent = parentId === null ? undefined : nodes.get(parentId);
    if (parent === undefined || parentId === node.department.id) roots.push(node);
    else parent.children.push(node);
  }
  const byName = (a: DepartmentNode, b: DepartmentNode) =>
    a.department.name.localeCompare(b.department.name);
  const sort = (list: DepartmentNode[]) => {
    list.sort(byName);
    for (const node of list) sort(node.children);
  };
  sort(roots);
  return roots;
}

/** The ids of `id`'s ancestors, nearest first (to expand the tree down to a node). */
export function ancestorsOf(departments: Department[], id: string): string[] {
  const byId = new Map(departments.map((d) => [d.id, d]));
  const out: string[] = [];
  let current = byId.get(id)?.parent_id ?? null;
  while (current !== null && !out.includes(current)) {
    out.push(current);
    current = byId.get(current)?.parent_id ?? null;
  }
  return out;
}
